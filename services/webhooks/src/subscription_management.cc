#include "services/webhooks/src/subscription_management.h"

#include "itsm/base/status_macros.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/record_ids.h"
#include "itsm/records/unit_of_work.h"
#include "services/webhooks/src/signature.h"
#include "services/webhooks/src/webhook_repository.h"

namespace itsm::webhooks {
namespace {

constexpr char kCreateSubscription[] = "itsm.webhooks.v1.WebhookService/CreateSubscription";
constexpr char kGetHistory[] = "itsm.webhooks.v1.WebhookService/GetHistory";

using SubscriptionWork = records::UnitOfWork<v1::Subscription, WebhookRepository>;

// Subscriptions announce nothing: their changes are in their audit trail. (An event would have
// to leave the secret out anyway, and no consumer needs one.)
const records::EventStream& NoEvents() {
  static const records::EventStream stream{"", "itsm/webhooks"};
  return stream;
}

}  // namespace

absl::Status SubscriptionManagement::Create(storage::Transaction& txn, const base::Caller& caller,
                                            const v1::CreateSubscriptionRequest& request,
                                            v1::CreateSubscriptionResponse& out) const {
  // The group committer may run this twice (decision 175): the secret of a first run must not
  // stay in an answer whose second run found an earlier subscription.
  out.Clear();
  ITSM_RETURN_IF_ERROR(rules_.ValidateCreate(request));
  SubscriptionWork work(txn, caller, NoEvents());
  v1::Subscription fresh = rules_.NewSubscription(request, caller.actor);
  const std::string fresh_id = fresh.id();
  ITSM_ASSIGN_OR_RETURN(
      *out.mutable_subscription(),
      work.Create(records::IdempotentCallOf(kCreateSubscription, request), std::move(fresh),
                  [&](const v1::Subscription& s) { return rules_.Created(s); }));
  // An idempotent repeat answers the earlier subscription without its secret (shown once).
  if (out.subscription().id() != fresh_id) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(std::string secret, NewSecret());
  ITSM_RETURN_IF_ERROR(WebhookRepository::SetSecret(txn, fresh_id, secret));
  out.set_secret(std::move(secret));
  return absl::OkStatus();
}

absl::Status SubscriptionManagement::Update(storage::Transaction& txn, const base::Caller& caller,
                                            const v1::UpdateSubscriptionRequest& request,
                                            v1::Subscription& out) const {
  ITSM_RETURN_IF_ERROR(rules_.ValidateUpdate(request));
  SubscriptionWork work(txn, caller, NoEvents());
  bool was_paused = false;
  ITSM_ASSIGN_OR_RETURN(out,
                        work.Modify(request.subscription().id(), [&](const v1::Subscription& s) {
                          was_paused = !s.active();
                          return rules_.Update(s, request);
                        }));
  if (was_paused && out.active()) {
    // What waited during the pause goes out now, with its retries still ahead of it.
    const absl::Time now = clock_.Now();
    ITSM_RETURN_IF_ERROR(
        WebhookRepository::ResumePending(txn, out.id(), now, now + retry_period_).status());
  }
  return absl::OkStatus();
}

absl::Status SubscriptionManagement::RotateSecret(storage::Transaction& txn,
                                                  const base::Caller& caller,
                                                  const v1::RotateSecretRequest& request,
                                                  v1::RotateSecretResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  SubscriptionWork work(txn, caller, NoEvents());
  ITSM_ASSIGN_OR_RETURN(*out.mutable_subscription(),
                        work.Modify(request.id(), [&](const v1::Subscription& s) {
                          return rules_.Rotate(s, request);
                        }));
  ITSM_ASSIGN_OR_RETURN(std::string secret, NewSecret());
  ITSM_RETURN_IF_ERROR(WebhookRepository::SetSecret(txn, out.subscription().id(), secret));
  out.set_secret(std::move(secret));
  return absl::OkStatus();
}

absl::Status SubscriptionManagement::RecordReplay(
    storage::Transaction& txn, const base::Caller& caller,
    const v1::ReplayDeliveriesRequest& request,
    const v1::ReplayDeliveriesResponse& replayed) const {
  if (replayed.replayed_count() == 0) return absl::OkStatus();  // nothing changed
  SubscriptionWork work(txn, caller, NoEvents());
  return work
      .Modify(request.subscription_id(),
              [&](const v1::Subscription& s) -> absl::StatusOr<SubscriptionChange> {
                return rules_.Replayed(s, request, replayed);
              })
      .status();
}

absl::Status SubscriptionManagement::Get(storage::Transaction& txn,
                                         const v1::GetSubscriptionRequest& request,
                                         v1::Subscription& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(out, WebhookRepository::Get(txn, request.id()));
  return absl::OkStatus();
}

absl::Status SubscriptionManagement::List(storage::Transaction& txn,
                                          const v1::ListSubscriptionsRequest& request,
                                          v1::ListSubscriptionsResponse& out) const {
  ITSM_ASSIGN_OR_RETURN(SubscriptionPage page, WebhookRepository::List(txn, request));
  for (auto& s : page.subscriptions) *out.add_subscriptions() = std::move(s);
  out.set_next_page_token(page.next_page_token);
  return absl::OkStatus();
}

absl::Status SubscriptionManagement::History(storage::Transaction& txn,
                                             const v1::GetHistoryRequest& request,
                                             v1::GetHistoryResponse& out) const {
  ITSM_RETURN_IF_ERROR(records::CheckId(request.id()));
  ITSM_ASSIGN_OR_RETURN(v1::Subscription s, WebhookRepository::Get(txn, request.id()));
  return records::AuditTrail::ReadInto(txn, kGetHistory, request, s.id(), out);
}

}  // namespace itsm::webhooks
