#include "itsm/outbox/outbox.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"
#include "itsm/storage/params_of.h"

namespace itsm::outbox {

const std::vector<storage::Migration>& Outbox::Migrations() {
  // AUTOINCREMENT: ids are never reused after old rows are deleted, so id order is write order.
  // The partial index keeps "what is pending" cheap however many published rows are retained.
  // event_id is a fresh UUID per row and nothing looks rows up by it: no unique index, which
  // measured 18 % of the storage cost of an incident create (bench/storage).
  static const std::vector<storage::Migration> kMigrations = {
      {1, "create outbox",
       R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  message_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_source TEXT NOT NULL,
  event_subject TEXT NOT NULL,
  event_time_us BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_at_us BIGINT NOT NULL,
  published_at_us BIGINT
);
CREATE INDEX outbox_pending ON outbox(id) WHERE published_at_us IS NULL;
CREATE INDEX outbox_created ON outbox(created_at_us);
)sql"},
      // Rows the broker refuses for good wait here, with the error, instead of at the head of
      // the outbox where every later row would queue behind them.
      {2, "create outbox_dead_letters",
       R"sql(
CREATE TABLE outbox_dead_letters (
  id BIGINT PRIMARY KEY,
  event_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  message_key TEXT NOT NULL,
  event_type TEXT NOT NULL,
  event_source TEXT NOT NULL,
  event_subject TEXT NOT NULL,
  event_time_us BIGINT NOT NULL,
  content_type TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_at_us BIGINT NOT NULL,
  error TEXT NOT NULL,
  dead_at_us BIGINT NOT NULL
);
)sql"},
      // When a row was set pending again (RepublishEvents, a dead letter requeued): its publish
      // delay counts from then, not from its first writing (found from outside: after a
      // re-publish, itsm_outbox_publish_delay_seconds said every event had waited for hours).
      // NULL for a row pending since it was written.
      {3, "outbox pending_since_us", "ALTER TABLE outbox ADD COLUMN pending_since_us BIGINT;"},
  };
  return kMigrations;
}

absl::Status Outbox::Append(storage::Transaction& txn, OutgoingEvent e) {
  if (e.event.data.size() > kMaxEventBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "request: the change would publish an event of ", e.event.data.size(), " bytes, above the ",
        kMaxEventBytes, " a broker takes; shorten its longest fields"));
  }
  return txn
      .Execute(
          "INSERT INTO outbox(event_id, topic, message_key, event_type, event_source,"
          " event_subject, event_time_us, content_type, payload, created_at_us)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          storage::ParamsOf(
              std::move(e.event.id), std::move(e.topic), std::move(e.key), std::move(e.event.type),
              std::move(e.event.source), std::move(e.event.subject),
              absl::ToUnixMicros(e.event.time), std::move(e.event.content_type),
              storage::Bytes{std::move(e.event.data)}, absl::ToUnixMicros(absl::Now())))
      .status();
}

absl::StatusOr<int64_t> Outbox::Republish(storage::Database& db, absl::Time start, absl::Time end,
                                          const std::string& topic) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadWrite));
  ITSM_ASSIGN_OR_RETURN(
      int64_t n,
      txn->Execute("UPDATE outbox SET published_at_us = NULL, pending_since_us = $4"
                   " WHERE published_at_us IS NOT NULL"
                   " AND created_at_us >= $1 AND created_at_us < $2 AND ($3 = '' OR topic = $3)",
                   {absl::ToUnixMicros(start), absl::ToUnixMicros(end), topic,
                    absl::ToUnixMicros(absl::Now())}));
  ITSM_RETURN_IF_ERROR(txn->Commit());
  return n;
}

namespace {
constexpr char kEventColumns[] =
    "event_id, topic, message_key, event_type, event_source, event_subject, event_time_us,"
    " content_type, payload, created_at_us";
}  // namespace

absl::Status Outbox::MoveToDeadLetters(storage::Transaction& txn,
                                       const std::vector<DeadLetter>& rows, absl::Time now) {
  for (const DeadLetter& row : rows) {
    ITSM_RETURN_IF_ERROR(
        txn.Execute(absl::StrCat("INSERT INTO outbox_dead_letters(id, ", kEventColumns,
                                 ", error, dead_at_us) SELECT id, ", kEventColumns,
                                 ", $2, $3 FROM outbox WHERE id = $1"),
                    {row.id, row.error, absl::ToUnixMicros(now)})
            .status());
    ITSM_RETURN_IF_ERROR(txn.Execute("DELETE FROM outbox WHERE id = $1", {row.id}).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Outbox::RequeueDeadLetters(storage::Database& db, absl::Time start,
                                                   absl::Time end, const std::string& topic) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadWrite));
  // The rows are chosen once, by id, and copied and deleted by those ids: on PostgreSQL (read
  // committed) a copy and a delete by the same condition see different snapshots, and a row a
  // relay dead-lettered in between would be deleted without having been copied.
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet chosen,
      txn->Query("SELECT id FROM outbox_dead_letters WHERE created_at_us >= $1 AND "
                 "created_at_us < $2 AND ($3 = '' OR topic = $3) ORDER BY id",
                 {absl::ToUnixMicros(start), absl::ToUnixMicros(end), topic}));
  constexpr size_t kChunk = 500;
  // Pending again from now (their publish delay counts from here); a number we make, written
  // into the statement.
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  int64_t n = 0;
  for (size_t first = 0; first < chosen.size(); first += kChunk) {
    const size_t last = std::min(chosen.size(), first + kChunk);
    storage::Params ids(last - first);
    std::vector<std::string> placeholders;
    for (size_t i = first; i < last; ++i) {
      ids[i - first] = storage::Value(chosen.row(i)[0].AsInt());
      placeholders.push_back(absl::StrCat("$", i - first + 1));
    }
    const std::string in = absl::StrCat(" WHERE id IN (", absl::StrJoin(placeholders, ", "), ")");
    ITSM_ASSIGN_OR_RETURN(
        int64_t copied,
        txn->Execute(absl::StrCat("INSERT INTO outbox(", kEventColumns,
                                  ", pending_since_us) SELECT ", kEventColumns, ", ", now_us,
                                  " FROM outbox_dead_letters", in, " ORDER BY id"),
                     ids));
    ITSM_RETURN_IF_ERROR(
        txn->Execute(absl::StrCat("DELETE FROM outbox_dead_letters", in), ids).status());
    n += copied;
  }
  ITSM_RETURN_IF_ERROR(txn->Commit());
  return n;
}

absl::StatusOr<OutboxStats> Outbox::Stats(storage::Database& db) {
  ITSM_ASSIGN_OR_RETURN(auto txn, db.Begin(storage::TransactionMode::kReadOnly));
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet pending,
      txn->Query("SELECT COUNT(*), MIN(created_at_us) FROM outbox WHERE published_at_us IS NULL"));
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet published,
      txn->Query("SELECT COUNT(*) FROM outbox WHERE published_at_us IS NOT NULL"));
  OutboxStats stats;
  stats.pending = pending.row(0)[0].AsInt();
  if (!pending.row(0)[1].is_null()) {
    stats.oldest_pending = absl::FromUnixMicros(pending.row(0)[1].AsInt());
  }
  stats.published = published.row(0)[0].AsInt();
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet dead,
                        txn->Query("SELECT COUNT(*) FROM outbox_dead_letters"));
  stats.dead_letters = dead.row(0)[0].AsInt();
  return stats;
}

absl::StatusOr<int64_t> Outbox::DeletePublishedBefore(storage::Transaction& txn, absl::Time before,
                                                      int limit) {
  return txn.Execute(
      "DELETE FROM outbox WHERE id IN (SELECT id FROM"
      " (SELECT id, published_at_us FROM outbox ORDER BY id LIMIT $2) AS oldest"
      " WHERE published_at_us IS NOT NULL AND published_at_us < $1)",
      {absl::ToUnixMicros(before), limit});
}

}  // namespace itsm::outbox
