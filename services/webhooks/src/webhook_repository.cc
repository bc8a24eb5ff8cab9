#include "services/webhooks/src/webhook_repository.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/enum_set.h"
#include "itsm/records/idempotency.h"
#include "itsm/records/page_start.h"
#include "itsm/records/record_change.h"

namespace itsm::webhooks {
namespace {

constexpr char kTables[] = R"sql(
CREATE TABLE webhook_subscriptions (
  id TEXT PRIMARY KEY,
  create_us BIGINT NOT NULL,
  active INTEGER NOT NULL,
  version BIGINT NOT NULL,
  data BLOB NOT NULL
);
CREATE INDEX webhook_subscriptions_create ON webhook_subscriptions(create_us, id);
CREATE TABLE webhook_secrets (
  subscription_id TEXT PRIMARY KEY,
  secret TEXT NOT NULL
);
CREATE TABLE webhook_events (
  ce_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  subject TEXT NOT NULL,
  time_us BIGINT NOT NULL,
  received_us BIGINT NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL,
  ce_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_subject TEXT NOT NULL,
  event_time_us BIGINT NOT NULL,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  create_us BIGINT NOT NULL,
  next_attempt_us BIGINT NOT NULL,
  retry_until_us BIGINT NOT NULL,
  deliver_us BIGINT NOT NULL,
  lease_us BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(subscription_id, state, next_attempt_us);
CREATE INDEX webhook_deliveries_create ON webhook_deliveries(subscription_id, create_us, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(ce_id);
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL,
  number INTEGER NOT NULL,
  start_us BIGINT NOT NULL,
  latency_us BIGINT NOT NULL,
  response_code INTEGER NOT NULL,
  error TEXT NOT NULL,
  succeeded INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, number)
);
)sql";

const std::vector<storage::Migration>& Migrations() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "subscriptions, secrets, events, deliveries, attempts", kTables},
  };
  return kMigrations;
}

constexpr char kDeliveryColumns[] =
    "id, subscription_id, ce_id, event_type, event_subject, event_time_us, state, attempts,"
    " create_us, next_attempt_us, retry_until_us, deliver_us";

google::protobuf::Timestamp Stamp(int64_t us) {
  return base::ToProtoTimestamp(absl::FromUnixMicros(us));
}

v1::Delivery DeliveryRow(const std::vector<storage::Value>& row) {
  v1::Delivery d;
  d.set_id(row[0].AsString());
  d.set_subscription_id(row[1].AsString());
  d.set_event_id(row[2].AsString());
  d.set_event_type(row[3].AsString());
  d.set_event_subject(row[4].AsString());
  *d.mutable_event_time() = Stamp(row[5].AsInt());
  d.set_state(static_cast<v1::DeliveryState>(row[6].AsInt()));
  d.set_attempt_count(static_cast<int32_t>(row[7].AsInt()));
  *d.mutable_create_time() = Stamp(row[8].AsInt());
  if (d.state() == v1::DELIVERY_STATE_PENDING)
    *d.mutable_next_attempt_time() = Stamp(row[9].AsInt());
  *d.mutable_retry_until() = Stamp(row[10].AsInt());
  if (row[11].AsInt() > 0) *d.mutable_deliver_time() = Stamp(row[11].AsInt());
  return d;
}

// The attempts of a delivery, newest first; `limit` 0: all.
absl::Status AddAttempts(storage::Transaction& txn, v1::Delivery& d, int limit) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT number, start_us, latency_us, response_code, error, succeeded"
                " FROM webhook_attempts WHERE delivery_id = $1 ORDER BY number DESC LIMIT $2",
                {d.id(), limit > 0 ? limit : 1000}));
  for (const auto& row : rows.rows()) {
    v1::DeliveryAttempt* a = d.add_attempts();
    a->set_number(static_cast<int32_t>(row[0].AsInt()));
    *a->mutable_start_time() = Stamp(row[1].AsInt());
    *a->mutable_latency() = base::ToProtoDuration(absl::Microseconds(row[2].AsInt()));
    a->set_response_code(static_cast<int32_t>(row[3].AsInt()));
    a->set_error(row[4].AsString());
    a->set_succeeded(row[5].AsInt() != 0);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<storage::SchemaComponent> WebhookRepository::Schema() {
  return {{records::IdempotencyStore::kComponent, records::IdempotencyStore::Migrations()},
          {records::AuditTrail::kComponent, records::AuditTrail::Migrations()},
          {"webhooks", Migrations()}};
}

absl::StatusOr<v1::Subscription> WebhookRepository::Get(storage::Transaction& txn,
                                                        const std::string& id) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM webhook_subscriptions WHERE id = $1", {id}));
  if (rows.empty()) {
    return absl::NotFoundError(absl::StrCat("id: no webhook subscription \"", id, "\""));
  }
  return records::DecodeStored<v1::Subscription>(rows.row(0)[0].AsString(), "subscription");
}

absl::Status WebhookRepository::Insert(storage::Transaction& txn, v1::Subscription& s) {
  return txn
      .Execute(
          "INSERT INTO webhook_subscriptions(id, create_us, active, version, data)"
          " VALUES ($1, $2, $3, $4, $5)",
          {s.id(), absl::ToUnixMicros(base::FromProtoTimestamp(s.create_time())), s.active(),
           s.version(), storage::Bytes{s.SerializeAsString()}})
      .status();
}

absl::Status WebhookRepository::Update(storage::Transaction& txn, const v1::Subscription& s,
                                       int64_t expected_version) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t changed,
      txn.Execute("UPDATE webhook_subscriptions SET active = $1, version = $2, data = $3"
                  " WHERE id = $4 AND version = $5",
                  {s.active(), s.version(), storage::Bytes{s.SerializeAsString()}, s.id(),
                   expected_version}));
  if (changed != 1) {
    return records::ChangedConcurrently("the subscription");
  }
  return absl::OkStatus();
}

absl::Status WebhookRepository::AppendAudit(storage::Transaction& txn, const std::string& record_id,
                                            const common::v1::AuditEntry& entry) {
  return records::AuditTrail::Append(txn, record_id, entry);
}

absl::Status WebhookRepository::SetSecret(storage::Transaction& txn,
                                          const std::string& subscription_id,
                                          const std::string& secret) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM webhook_secrets WHERE subscription_id = $1", {subscription_id})
          .status());
  return txn
      .Execute("INSERT INTO webhook_secrets(subscription_id, secret) VALUES ($1, $2)",
               {subscription_id, secret})
      .status();
}

absl::StatusOr<SubscriptionPage> WebhookRepository::List(
    storage::Transaction& txn, const v1::ListSubscriptionsRequest& request) {
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage("itsm.webhooks.v1.WebhookService/ListSubscriptions", request,
                         request.page(),
                         {.default_size = 50, .max_size = 500, .position_parts = 2}));
  int64_t after_us = -1;
  std::string after_id;
  if (!start.after.empty()) {
    ITSM_ASSIGN_OR_RETURN(after_us, records::CursorInt(start.after[0]));
    after_id = start.after[1];
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(
          "SELECT create_us, id, data FROM webhook_subscriptions"
          " WHERE ($1 = -1 OR active = $1) AND (create_us > $2 OR (create_us = $2 AND id > $3))"
          " ORDER BY create_us, id LIMIT $4",
          {request.has_active() ? int64_t{request.active() ? 1 : 0} : int64_t{-1}, after_us,
           after_id, start.size + 1}));
  SubscriptionPage page;
  const size_t shown = records::RowsOnPage(rows, 2, start.size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::Subscription s, records::DecodeStored<v1::Subscription>(
                                                  rows.row(i)[2].AsString(), "subscription"));
    page.subscriptions.push_back(std::move(s));
  }
  if (rows.size() > shown) {
    page.next_page_token = records::EncodePageCursor(
        start.scope,
        {absl::StrCat(rows.row(shown - 1)[0].AsInt()), rows.row(shown - 1)[1].AsString()});
  }
  return page;
}

absl::StatusOr<std::vector<ActiveSubscription>> WebhookRepository::Active(
    storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT s.data, k.secret FROM webhook_subscriptions s"
                " JOIN webhook_secrets k ON k.subscription_id = s.id WHERE s.active = 1"
                " ORDER BY s.create_us, s.id"));
  std::vector<ActiveSubscription> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(v1::Subscription s, records::DecodeStored<v1::Subscription>(
                                                  row[0].AsString(), "subscription"));
    out.push_back({std::move(s), row[1].AsString()});
  }
  return out;
}

absl::StatusOr<bool> WebhookRepository::InsertEvent(storage::Transaction& txn, const StoredEvent& e,
                                                    absl::Time now) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t inserted,
      txn.Execute("INSERT INTO webhook_events(ce_id, type, source, subject, time_us, received_us,"
                  " body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ce_id) DO NOTHING",
                  {e.id, e.type, e.source, e.subject, absl::ToUnixMicros(e.time),
                   absl::ToUnixMicros(now), e.body}));
  return inserted == 1;
}

absl::Status WebhookRepository::InsertDelivery(storage::Transaction& txn, const std::string& id,
                                               const std::string& subscription_id,
                                               const StoredEvent& e, absl::Time now,
                                               absl::Time retry_until) {
  const int64_t now_us = absl::ToUnixMicros(now);
  return txn
      .Execute(
          absl::StrCat("INSERT INTO webhook_deliveries(", kDeliveryColumns,
                       ", lease_us) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8, $9, 0, 0)"),
          {id, subscription_id, e.id, e.type, e.subject, absl::ToUnixMicros(e.time),
           static_cast<int>(v1::DELIVERY_STATE_PENDING), now_us, absl::ToUnixMicros(retry_until)})
      .status();
}

absl::StatusOr<std::vector<DueDelivery>> WebhookRepository::Claim(
    storage::Transaction& txn, const std::string& subscription_id, absl::Time now,
    absl::Time lease_until, int limit) {
  const int64_t now_us = absl::ToUnixMicros(now);
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT d.id, d.attempts, d.retry_until_us, e.body FROM webhook_deliveries d"
                " JOIN webhook_events e ON e.ce_id = d.ce_id"
                " WHERE d.subscription_id = $1 AND d.state = $2 AND d.next_attempt_us <= $3"
                " AND d.lease_us <= $3 ORDER BY d.next_attempt_us, d.create_us, d.id LIMIT $4",
                {subscription_id, static_cast<int>(v1::DELIVERY_STATE_PENDING), now_us, limit}));
  std::vector<DueDelivery> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(
        int64_t leased,
        txn.Execute("UPDATE webhook_deliveries SET lease_us = $1 WHERE id = $2 AND lease_us <= $3",
                    {absl::ToUnixMicros(lease_until), row[0].AsString(), now_us}));
    if (leased != 1) continue;  // another replica took it
    out.push_back({row[0].AsString(), subscription_id, static_cast<int>(row[1].AsInt()),
                   absl::FromUnixMicros(row[2].AsInt()), row[3].AsString()});
  }
  return out;
}

absl::StatusOr<int64_t> WebhookRepository::ResumePending(storage::Transaction& txn,
                                                         const std::string& subscription_id,
                                                         absl::Time now, absl::Time retry_until) {
  return txn.Execute(
      "UPDATE webhook_deliveries SET next_attempt_us = $1,"
      " retry_until_us = CASE WHEN retry_until_us < $2 THEN $2 ELSE retry_until_us END"
      " WHERE subscription_id = $3 AND state = $4",
      {absl::ToUnixMicros(now), absl::ToUnixMicros(retry_until), subscription_id,
       static_cast<int>(v1::DELIVERY_STATE_PENDING)});
}

absl::StatusOr<int64_t> WebhookRepository::ExpireUnattempted(storage::Transaction& txn,
                                                             const std::string& subscription_id,
                                                             absl::Time now) {
  const int64_t now_us = absl::ToUnixMicros(now);
  return txn.Execute(
      "UPDATE webhook_deliveries SET state = $1, next_attempt_us = retry_until_us, lease_us = 0"
      " WHERE subscription_id = $2 AND state = $3 AND next_attempt_us <= $4"
      " AND retry_until_us < $4 AND lease_us <= $4",
      {static_cast<int>(v1::DELIVERY_STATE_DEAD_LETTERED), subscription_id,
       static_cast<int>(v1::DELIVERY_STATE_PENDING), now_us});
}

absl::Status WebhookRepository::RecordAttempt(storage::Transaction& txn,
                                              const std::string& delivery_id,
                                              const AttemptResult& r) {
  ITSM_RETURN_IF_ERROR(
      txn.Execute("INSERT INTO webhook_attempts(delivery_id, number, start_us, latency_us,"
                  " response_code, error, succeeded) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                  " ON CONFLICT (delivery_id, number) DO NOTHING",
                  {delivery_id, r.number, absl::ToUnixMicros(r.start),
                   absl::ToInt64Microseconds(r.latency), r.response_code, r.error, r.succeeded})
          .status());
  const int64_t end_us = absl::ToUnixMicros(r.start + r.latency);
  return txn
      .Execute(
          "UPDATE webhook_deliveries SET state = $1, attempts = $2, next_attempt_us = $3,"
          " deliver_us = $4, lease_us = 0 WHERE id = $5",
          {static_cast<int>(r.state), r.number,
           r.state == v1::DELIVERY_STATE_PENDING ? absl::ToUnixMicros(r.next_attempt) : end_us,
           r.succeeded ? end_us : int64_t{0}, delivery_id})
      .status();
}

absl::StatusOr<absl::Time> WebhookRepository::NextDue(storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT MIN(CASE WHEN d.lease_us > d.next_attempt_us THEN d.lease_us"
                " ELSE d.next_attempt_us END) FROM webhook_deliveries d"
                " JOIN webhook_subscriptions s ON s.id = d.subscription_id"
                " WHERE d.state = $1 AND s.active = 1",
                {static_cast<int>(v1::DELIVERY_STATE_PENDING)}));
  if (rows.empty() || rows.row(0)[0].is_null()) return absl::InfiniteFuture();
  return absl::FromUnixMicros(rows.row(0)[0].AsInt());
}

absl::StatusOr<DeliveryPage> WebhookRepository::ListDeliveries(
    storage::Transaction& txn, const v1::ListDeliveriesRequest& request,
    const std::string& subscription_id) {
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage("itsm.webhooks.v1.WebhookService/ListDeliveries", request, request.page(),
                         {.default_size = 50, .max_size = 500, .position_parts = 2}));
  int64_t before_us = std::numeric_limits<int64_t>::max();
  std::string before_id;
  if (!start.after.empty()) {
    ITSM_ASSIGN_OR_RETURN(before_us, records::CursorInt(start.after[0]));
    before_id = start.after[1];
  }
  std::vector<v1::DeliveryState> states;
  for (int s : request.states()) states.push_back(static_cast<v1::DeliveryState>(s));
  ITSM_ASSIGN_OR_RETURN(int64_t mask,
                        records::EnumSetMask("states", *v1::DeliveryState_descriptor(), states));
  ITSM_RETURN_IF_ERROR(base::CheckTimestamp("from_time", request.from_time()));
  ITSM_RETURN_IF_ERROR(base::CheckTimestamp("to_time", request.to_time()));
  const int64_t from_us = request.has_from_time()
                              ? absl::ToUnixMicros(base::FromProtoTimestamp(request.from_time()))
                              : std::numeric_limits<int64_t>::min();
  const int64_t to_us = request.has_to_time()
                            ? absl::ToUnixMicros(base::FromProtoTimestamp(request.to_time()))
                            : std::numeric_limits<int64_t>::max();
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(
          absl::StrCat("SELECT ", kDeliveryColumns,
                       " FROM webhook_deliveries WHERE subscription_id = $1"
                       " AND ($2 = 0 OR (($2 >> state) & 1) = 1) AND ($3 = '' OR event_type = $3)"
                       " AND ($4 = '' OR ce_id = $4) AND create_us >= $5 AND create_us < $6"
                       " AND (create_us < $7 OR (create_us = $7 AND id < $8))"
                       " ORDER BY create_us DESC, id DESC LIMIT $9"),
          {subscription_id, mask, request.event_type(), request.event_id(), from_us, to_us,
           before_us, before_id.empty() ? std::string("~") : before_id, start.size + 1}));
  DeliveryPage page;
  const size_t shown = std::min(rows.size(), static_cast<size_t>(start.size));
  for (size_t i = 0; i < shown; ++i) {
    v1::Delivery d = DeliveryRow(rows.row(i));
    ITSM_RETURN_IF_ERROR(AddAttempts(txn, d, 1));
    page.deliveries.push_back(std::move(d));
  }
  if (rows.size() > shown) {
    page.next_page_token = records::EncodePageCursor(
        start.scope,
        {absl::StrCat(rows.row(shown - 1)[8].AsInt()), rows.row(shown - 1)[0].AsString()});
  }
  return page;
}

absl::StatusOr<v1::Delivery> WebhookRepository::GetDelivery(storage::Transaction& txn,
                                                            const std::string& subscription_id,
                                                            const std::string& id) {
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query(absl::StrCat("SELECT ", kDeliveryColumns,
                             " FROM webhook_deliveries WHERE subscription_id = $1 AND id = $2"),
                {subscription_id, id}));
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("id: no delivery \"", id, "\""));
  v1::Delivery d = DeliveryRow(rows.row(0));
  ITSM_RETURN_IF_ERROR(AddAttempts(txn, d, 0));
  return d;
}

absl::StatusOr<std::pair<int, bool>> WebhookRepository::Replay(storage::Transaction& txn,
                                                               const ReplayScope& scope,
                                                               absl::Time now,
                                                               absl::Time retry_until) {
  ITSM_ASSIGN_OR_RETURN(
      int64_t mask, records::EnumSetMask("states", *v1::DeliveryState_descriptor(), scope.states));
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT id FROM webhook_deliveries WHERE subscription_id = $1"
                " AND ($2 = '' OR id = $2)"
                " AND ($2 <> '' OR (create_us >= $3 AND create_us < $4))"
                " AND ($5 = 0 OR (($5 >> state) & 1) = 1)"
                " ORDER BY create_us, id LIMIT $6",
                {scope.subscription_id, scope.delivery_id, absl::ToUnixMicros(scope.from),
                 absl::ToUnixMicros(scope.to), mask, scope.limit + 1}));
  const int count = std::min(static_cast<int>(rows.size()), scope.limit);
  const int64_t now_us = absl::ToUnixMicros(now);
  for (int i = 0; i < count; ++i) {
    // A delivery leased for an attempt in flight keeps its lease, and that attempt's result
    // then decides its state: delivered (the receiver has it again, which is what the replay
    // asked for) or pending within the new retry period set here.
    ITSM_RETURN_IF_ERROR(
        txn.Execute(
               "UPDATE webhook_deliveries SET state = $1, next_attempt_us = $2,"
               " retry_until_us = $3, deliver_us = 0 WHERE id = $4",
               {static_cast<int>(v1::DELIVERY_STATE_PENDING), now_us,
                absl::ToUnixMicros(retry_until), rows.row(static_cast<size_t>(i))[0].AsString()})
            .status());
  }
  return std::make_pair(count, static_cast<int>(rows.size()) > scope.limit);
}

absl::StatusOr<std::vector<std::pair<v1::DeliveryState, int64_t>>> WebhookRepository::CountByState(
    storage::Transaction& txn) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT state, COUNT(*) FROM webhook_deliveries GROUP BY state"));
  std::vector<std::pair<v1::DeliveryState, int64_t>> out;
  for (const auto& row : rows.rows()) {
    out.emplace_back(static_cast<v1::DeliveryState>(row[0].AsInt()), row[1].AsInt());
  }
  return out;
}

absl::StatusOr<int64_t> WebhookRepository::Prune(storage::Transaction& txn, absl::Time before) {
  const int64_t before_us = absl::ToUnixMicros(before);
  const int pending = static_cast<int>(v1::DELIVERY_STATE_PENDING);
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM"
                  " webhook_deliveries WHERE create_us < $1 AND state <> $2)",
                  {before_us, pending})
          .status());
  ITSM_ASSIGN_OR_RETURN(
      int64_t deleted,
      txn.Execute("DELETE FROM webhook_deliveries WHERE create_us < $1 AND state <> $2",
                  {before_us, pending}));
  ITSM_RETURN_IF_ERROR(
      txn.Execute("DELETE FROM webhook_events WHERE received_us < $1 AND NOT EXISTS"
                  " (SELECT 1 FROM webhook_deliveries d WHERE d.ce_id = webhook_events.ce_id)",
                  {before_us})
          .status());
  return deleted;
}

}  // namespace itsm::webhooks
