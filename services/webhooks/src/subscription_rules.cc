#include "services/webhooks/src/subscription_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/blank_text.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/field_mask.h"
#include "itsm/records/record_ids.h"
#include "itsm/records/versioned_change.h"
#include "services/webhooks/src/event_filter.h"

namespace itsm::webhooks {
namespace {

const records::UpdatableFields& UpdatableSubscriptionFields() {
  static const records::UpdatableFields fields{
      .paths = {"name", "description", "url", "event_types", "record_filter", "active"},
      .elsewhere = {{"secret_time", "RotateSecret"}}};
  return fields;
}

}  // namespace

absl::Status SubscriptionRules::CheckFields(const v1::Subscription& s,
                                            const google::protobuf::FieldMask* mask) const {
  // An update checks what it changes: a subscription whose URL the outbound rules have since
  // refused can still be paused or renamed (and its URL changed).
  const auto checked = [mask](const char* field) {
    return mask == nullptr || records::MaskNames(*mask, field);
  };
  if (checked("name") && base::IsBlank(s.name())) {
    return base::FieldError("subscription.name", "required");
  }
  if (checked("url")) {
    if (s.url().empty()) return base::FieldError("subscription.url", "required");
    ITSM_ASSIGN_OR_RETURN(WebhookUrl url, ParseWebhookUrl("subscription.url", s.url()));
    ITSM_RETURN_IF_ERROR(policy_.CheckUrl("subscription.url", url));
  }
  if (checked("event_types")) {
    if (s.event_types().empty()) {
      return base::FieldError("subscription.event_types",
                              "at least one event type (or \"*\" for every event)");
    }
    for (int i = 0; i < s.event_types_size(); ++i) {
      ITSM_RETURN_IF_ERROR(events::CheckEventTypePatternOf(
          absl::StrCat("subscription.event_types[", i, "]"), s.event_types(i), topics_));
    }
  }
  if (checked("record_filter") &&
      s.record_filter() != absl::StripAsciiWhitespace(s.record_filter())) {
    return base::FieldError("subscription.record_filter", "must not begin or end with white space");
  }
  return absl::OkStatus();
}

absl::Status SubscriptionRules::ValidateCreate(const v1::CreateSubscriptionRequest& r) const {
  if (r.inactive() && r.subscription().has_active() && r.subscription().active()) {
    return base::FieldError("inactive", "contradicts subscription.active: true; give one of them");
  }
  return CheckFields(r.subscription());
}

absl::Status SubscriptionRules::ValidateUpdate(const v1::UpdateSubscriptionRequest& r) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(r.subscription().id(), "subscription.id"));
  ITSM_RETURN_IF_ERROR(records::CheckUpdateMask(r.update_mask(), UpdatableSubscriptionFields()));
  // Named without a value, `active` would be copied as unset: the subscription paused silently.
  if (records::MaskNames(r.update_mask(), "active") && !r.subscription().has_active()) {
    return base::FieldError("subscription.active",
                            "required (true or false) when the update mask names it");
  }
  return absl::OkStatus();
}

v1::Subscription SubscriptionRules::NewSubscription(const v1::CreateSubscriptionRequest& request,
                                                    const std::string& actor) const {
  const auto now = base::ToProtoTimestamp(clock_.Now());
  v1::Subscription s;
  s.set_id(base::NewUuid());
  s.set_name(std::string(base::StripBlanks(request.subscription().name())));
  s.set_description(request.subscription().description());
  s.set_url(request.subscription().url());
  *s.mutable_event_types() = request.subscription().event_types();
  s.set_record_filter(request.subscription().record_filter());
  s.set_active(request.subscription().has_active() ? request.subscription().active()
                                                   : !request.inactive());
  *s.mutable_secret_time() = now;
  s.set_created_by(actor);
  *s.mutable_create_time() = now;
  *s.mutable_update_time() = now;
  s.set_version(1);
  return s;
}

SubscriptionChange SubscriptionRules::Created(const v1::Subscription& s) const {
  SubscriptionChange change = records::VersionedChange(v1::Subscription(), s, "create",
                                                       base::FromProtoTimestamp(s.create_time()));
  // VersionedChange numbers from the empty record: keep the new record as it is.
  change.after = s;
  return change;
}

absl::StatusOr<SubscriptionChange> SubscriptionRules::Update(
    const v1::Subscription& stored, const v1::UpdateSubscriptionRequest& request) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.subscription().version(),
                                             "subscription.version"));
  v1::Subscription after = stored;
  records::ApplyUpdateMask(request.update_mask(), request.subscription(), after);
  after.set_name(std::string(base::StripBlanks(after.name())));
  ITSM_RETURN_IF_ERROR(CheckFields(after, &request.update_mask()));
  return records::VersionedChange(stored, std::move(after), "update", clock_.Now());
}

absl::StatusOr<SubscriptionChange> SubscriptionRules::Rotate(
    const v1::Subscription& stored, const v1::RotateSecretRequest& request) const {
  ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
  v1::Subscription after = stored;
  const absl::Time now = clock_.Now();
  *after.mutable_secret_time() = base::ToProtoTimestamp(now);
  return records::VersionedChange(stored, std::move(after), "rotate_secret", now);
}

SubscriptionChange SubscriptionRules::Replayed(const v1::Subscription& stored,
                                               const v1::ReplayDeliveriesRequest& request,
                                               const v1::ReplayDeliveriesResponse& replayed) const {
  v1::ReplayDeliveriesRequest scope = request;
  scope.clear_subscription_id();  // the trail is the subscription's
  std::string scope_json;
  // A validated request always prints; should it not, the count is still recorded.
  (void)google::protobuf::util::MessageToJsonString(scope, &scope_json);
  const absl::Time now = clock_.Now();
  SubscriptionChange change;
  change.action = "replay_deliveries";
  change.after = stored;
  change.after.set_version(stored.version() + 1);
  *change.after.mutable_update_time() = base::ToProtoTimestamp(now);
  common::v1::FieldChange& what = change.changes.emplace_back();
  what.set_field("replayed_deliveries");
  what.set_new_value(std::move(scope_json));
  common::v1::FieldChange& count = change.changes.emplace_back();
  count.set_field("replayed_count");
  count.set_new_value(absl::StrCat(replayed.replayed_count(), replayed.more() ? " (more)" : ""));
  return change;
}

}  // namespace itsm::webhooks
