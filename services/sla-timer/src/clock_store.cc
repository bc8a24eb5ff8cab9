#include "services/sla-timer/src/clock_store.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/runtime/logging.h"

namespace itsm::sla_timer {
namespace {

// KEYS: state, due, outbox, open, and the partition's marker when it is watched
// (RedisIncarnation). ARGV: expected revision, state, incident id, due score ("": none), expiry
// of the state in ms ("0": none), number of open-count deltas, then (field, delta) pairs, then
// the events, then the marker's value when it is watched.
// Returns the new revision, or 0 when the stored revision is not the expected one.
constexpr char kCommitScript[] = R"lua(
local last = #ARGV
if KEYS[5] then
  if redis.call('GET', KEYS[5]) ~= ARGV[last] then
    return redis.error_reply('DATASET_LOST ' .. KEYS[5])
  end
  last = last - 1
end
local ok, r = pcall(redis.call, 'HGET', KEYS[1], 'r')
if not ok then
  return redis.error_reply('BADSTATE ' .. KEYS[1] .. ' is not a state hash')
end
local cur = tonumber(r or '0')
if cur ~= tonumber(ARGV[1]) then return 0 end
-- Redis does not undo what a failing script wrote, so whatever could fail is tried before the
-- first write: a fired marker is never stored without its event in the outbox. A key of the
-- wrong kind makes these reads raise; the first write (ZADD/ZREM) raises before writing.
local n = tonumber(ARGV[6])
if n > 0 then
  local fields = {}
  for i = 0, n - 1 do fields[i + 1] = ARGV[7 + 2 * i] end
  local counts = redis.call('HMGET', KEYS[4], unpack(fields))
  for i = 1, n do
    if counts[i] and not string.match(counts[i], '^-?%d+$') then
      return redis.error_reply('open count ' .. fields[i] .. ' of ' .. KEYS[4] .. ' is not a number')
    end
  end
end
if last >= 7 + 2 * n then redis.call('LLEN', KEYS[3]) end
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[2], ARGV[3])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
end
local rev = cur + 1
redis.call('HSET', KEYS[1], 'r', rev, 's', ARGV[2])
if ARGV[5] == '0' then
  redis.call('PERSIST', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[4], ARGV[7 + 2 * i], ARGV[8 + 2 * i])
end
for i = 7 + 2 * n, last do
  redis.call('RPUSH', KEYS[3], ARGV[i])
end
return rev
)lua";

// KEYS: outbox. ARGV: the first entry sent, how many were sent.
constexpr char kAckScript[] = R"lua(
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
  redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
  return 1
end
return 0
)lua";

// KEYS: the hash, and the marker of the dataset it belongs to when that is watched. ARGV: the
// marker's value when it is watched, then (field, value) pairs. A write into a Redis that lost
// the marker would leave a position (or a published offset) with none of the clocks it stands
// for.
constexpr char kMarkedHashSetScript[] = R"lua(
local first = 1
if KEYS[2] then
  if redis.call('GET', KEYS[2]) ~= ARGV[1] then
    return redis.error_reply('DATASET_LOST ' .. KEYS[2])
  end
  first = 2
end
redis.call('HSET', KEYS[1], unpack(ARGV, first))
return 1
)lua";

bool IsDatasetLost(const redis::RedisValue& reply) {
  return reply.type == redis::RedisValue::Type::kError &&
         absl::StartsWith(reply.str, "DATASET_LOST");
}

// A position's field in its partition's hash: per topic and broker cluster, so that positions
// of a broker that lost its data are not taken for the new one's.
std::string PositionField(const std::string& topic, const std::string& cluster_id) {
  return absl::StrCat(topic, "@", cluster_id);
}

}  // namespace

double DueScore(absl::Time t) {
  return std::ceil(absl::ToDoubleMilliseconds(t - absl::UnixEpoch()));
}

ClockStore::ClockStore(std::string redis_address, std::string prefix, redis::RedisAuth auth)
    : prefix_(std::move(prefix)),
      redis_(std::move(redis_address), absl::Seconds(5), std::move(auth)),
      commit_{kCommitScript, ""},
      ack_{kAckScript, ""},
      marked_hash_set_{kMarkedHashSetScript, ""} {}

void ClockStore::WatchDataset(RedisIncarnation* incarnation) { dataset_ = incarnation; }

std::optional<std::string> ClockStore::Marker(int32_t partition) const {
  if (dataset_ == nullptr) return std::nullopt;
  return dataset_->Marker(partition);
}

absl::Status ClockStore::DatasetLost(int32_t partition) {
  if (dataset_ != nullptr) dataset_->Lost(partition);
  return absl::UnavailableError(absl::StrCat(
      "redis no longer holds the SLA timer's data of ",
      partition == RedisIncarnation::kPublishedOffsets ? std::string("the published offsets")
                                                       : absl::StrCat("partition ", partition),
      " (FLUSHALL, FLUSHDB, eviction, a key deleted): the consumer goes back to the positions "
      "it holds"));
}

std::string ClockStore::OutboxEntry(const events::CloudEvent& e, absl::Time written) {
  sla::v1::TimerOutboxEntry entry;
  entry.set_id(e.id);
  entry.set_type(e.type);
  entry.set_subject(e.subject);
  entry.set_time_us(absl::ToUnixMicros(e.time));
  entry.set_data(e.data);
  entry.set_written_us(absl::ToUnixMicros(written == absl::InfinitePast() ? absl::Now() : written));
  return entry.SerializeAsString();
}

std::string ClockStore::StateKey(int32_t p, const std::string& id) const {
  return absl::StrCat(prefix_, ":clk:{", p, "}:", id);
}
std::string ClockStore::DueKey(int32_t p) const { return absl::StrCat(prefix_, ":due:{", p, "}"); }
std::string ClockStore::OutboxKey(int32_t p) const {
  return absl::StrCat(prefix_, ":outbox:{", p, "}");
}
std::string ClockStore::OpenKey(int32_t p) const {
  return absl::StrCat(prefix_, ":open:{", p, "}");
}
std::string ClockStore::PositionKey(int32_t p) const {
  return absl::StrCat(prefix_, ":pos:{", p, "}");
}
std::string ClockStore::DatasetKey(int32_t p) const {
  // The published offsets' key has no hash tag: "{<key>}" puts its marker in the same slot,
  // after the prefix (which ACLs of the form ~itsm:* expect).
  if (p == RedisIncarnation::kPublishedOffsets) {
    return absl::StrCat(PublishedKey(), ":dataset{", PublishedKey(), "}");
  }
  return absl::StrCat(prefix_, ":dataset:{", p, "}");
}

absl::StatusOr<std::map<int32_t, int64_t>> ClockStore::Positions(
    const std::string& topic, const std::string& cluster_id,
    const std::vector<int32_t>& partitions) {
  std::vector<std::vector<std::string>> commands;
  // The markers first: a Redis emptied after them has lost them, and the next write finds out;
  // one emptied before them has lost the positions too, so the partitions start at the
  // beginning. Set the other way round, a position read just before an emptying would be
  // taken up in a Redis that holds none of its clocks. A marker is set only where there is
  // none, each time with a value never used before, and read back: a replica that took its
  // value before an emptying tells it from the one set after (by another replica) as well.
  std::vector<int32_t> markers;
  if (dataset_ != nullptr) {
    markers = partitions;
    markers.push_back(RedisIncarnation::kPublishedOffsets);
    for (int32_t p : markers) {
      commands.push_back({"SET", DatasetKey(p), base::NewUuid(), "NX"});
      commands.push_back({"GET", DatasetKey(p)});
    }
  }
  for (int32_t p : partitions) {
    commands.push_back({"HGET", PositionKey(p), PositionField(topic, cluster_id)});
  }
  ITSM_ASSIGN_OR_RETURN(std::vector<redis::RedisValue> replies, redis_.Pipeline(commands));
  for (size_t i = 0; i < markers.size(); ++i) {
    for (const redis::RedisValue* v : {&replies[2 * i], &replies[2 * i + 1]}) {
      if (v->type == redis::RedisValue::Type::kError) {
        return absl::UnavailableError(
            absl::StrCat("redis: ", DatasetKey(markers[i]), ": ", v->str));
      }
    }
    if (replies[2 * i + 1].type != redis::RedisValue::Type::kString) {
      return absl::UnavailableError(
          absl::StrCat("redis: ", DatasetKey(markers[i]), " gone as soon as it was set"));
    }
  }
  for (size_t i = 0; i < markers.size(); ++i) {
    // Another value than the one taken before in this generation: Redis was emptied since and
    // another replica set it again (its rewind gave this one back its partitions). Taken up,
    // the new value would hide the loss from this replica for good.
    const std::optional<std::string> before = Marker(markers[i]);
    if (before && *before != replies[2 * i + 1].str) return DatasetLost(markers[i]);
  }
  for (size_t i = 0; i < markers.size(); ++i) dataset_->Marked(markers[i], replies[2 * i + 1].str);
  std::map<int32_t, int64_t> out;
  for (size_t i = 0; i < partitions.size(); ++i) {
    const redis::RedisValue& v = replies[2 * markers.size() + i];
    if (v.nil()) continue;
    // LOADING (a Redis reading its AOF), BUSY, ...: ask again later. Starting at the beginning
    // instead would replay the whole topic and hold firing back until it is done.
    if (v.type == redis::RedisValue::Type::kError && !absl::StartsWith(v.str, "WRONGTYPE")) {
      return absl::UnavailableError(absl::StrCat("redis: ", v.str));
    }
    int64_t offset = 0;
    if (v.type != redis::RedisValue::Type::kString || !absl::SimpleAtoi(v.str, &offset) ||
        offset < 0) {
      // Not a position this timer wrote: this partition's beginning is safe (events apply
      // idempotently), a position read wrong is not. The other partitions keep theirs.
      runtime::log::Warn(
          "a stored position is not an offset; the partition starts at its beginning",
          {{"key", PositionKey(partitions[i])},
           {"field", PositionField(topic, cluster_id)},
           {"value", v.str.substr(0, 64)}});
      continue;
    }
    out[partitions[i]] = offset;
  }
  return out;
}

absl::Status ClockStore::StorePositions(const std::string& topic, const std::string& cluster_id,
                                        const std::map<int32_t, int64_t>& next_offsets) {
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> calls;
  std::vector<int32_t> partitions;
  for (const auto& [p, offset] : next_offsets) {
    std::vector<std::string> keys = {PositionKey(p)};
    std::vector<std::string> args;
    if (std::optional<std::string> marker = Marker(p)) {
      keys.push_back(DatasetKey(p));
      args.push_back(*std::move(marker));
    }
    args.push_back(PositionField(topic, cluster_id));
    args.push_back(absl::StrCat(offset));
    calls.push_back({std::move(keys), std::move(args)});
    partitions.push_back(p);
  }
  ITSM_ASSIGN_OR_RETURN(std::vector<redis::RedisValue> replies,
                        redis_.EvalMany(marked_hash_set_, calls));
  absl::Status first_error;
  for (size_t i = 0; i < replies.size(); ++i) {
    if (IsDatasetLost(replies[i])) {
      first_error.Update(DatasetLost(partitions[i]));
    } else if (replies[i].type == redis::RedisValue::Type::kError) {
      first_error.Update(absl::InternalError(absl::StrCat("redis: ", replies[i].str)));
    }
  }
  return first_error;
}

std::string ClockStore::PublishedKey() const { return absl::StrCat(prefix_, ":published"); }

absl::StatusOr<std::map<int32_t, int64_t>> ClockStore::PublishedOffsets(
    const std::string& cluster_id) {
  absl::StatusOr<redis::RedisValue> all = redis_.Command({"HGETALL", PublishedKey()});
  if (!all.ok() && absl::StrContains(all.status().message(), "WRONGTYPE")) {
    // Not written by a timer: reading back from the topic's beginning is safe, waiting for a
    // key nobody will fix is not.
    runtime::log::Warn("the published offsets' key is not a hash; reading back from the start",
                       {{"key", PublishedKey()}});
    return std::map<int32_t, int64_t>{};
  }
  ITSM_RETURN_IF_ERROR(all.status());
  const std::string prefix = absl::StrCat(cluster_id, "/");
  std::map<int32_t, int64_t> out;
  for (size_t i = 0; i + 1 < all->elements.size(); i += 2) {
    absl::string_view field = all->elements[i].str;
    int32_t partition = 0;
    int64_t offset = 0;
    if (absl::ConsumePrefix(&field, prefix) && absl::SimpleAtoi(field, &partition) &&
        absl::SimpleAtoi(all->elements[i + 1].str, &offset)) {
      out[partition] = offset;
    }
  }
  return out;
}

absl::Status ClockStore::NotePublished(const std::string& cluster_id,
                                       const std::map<int32_t, int64_t>& offsets) {
  if (offsets.empty()) return absl::OkStatus();
  std::vector<std::string> keys = {PublishedKey()};
  std::vector<std::string> args;
  if (std::optional<std::string> marker = Marker(RedisIncarnation::kPublishedOffsets)) {
    keys.push_back(DatasetKey(RedisIncarnation::kPublishedOffsets));
    args.push_back(*std::move(marker));
  }
  for (const auto& [partition, offset] : offsets) {
    args.push_back(absl::StrCat(cluster_id, "/", partition));
    args.push_back(absl::StrCat(offset));
  }
  ITSM_ASSIGN_OR_RETURN(std::vector<redis::RedisValue> replies,
                        redis_.EvalMany(marked_hash_set_, {{std::move(keys), std::move(args)}}));
  if (IsDatasetLost(replies[0])) return DatasetLost(RedisIncarnation::kPublishedOffsets);
  if (replies[0].type == redis::RedisValue::Type::kError) {
    return absl::InternalError(absl::StrCat("redis: ", replies[0].str));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ClockStore::Loaded>> ClockStore::Load(const std::vector<Key>& keys) {
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(keys.size());
  for (const Key& k : keys)
    cmds.push_back({"HMGET", StateKey(k.partition, k.incident_id), "r", "s"});
  ITSM_ASSIGN_OR_RETURN(auto replies, redis_.Pipeline(cmds));
  std::vector<Loaded> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const redis::RedisValue& r = replies[i];
    const std::string key = StateKey(keys[i].partition, keys[i].incident_id);
    if (r.type == redis::RedisValue::Type::kError) {
      // The key holds something else than a state: as lost as a state that does not parse.
      // Other errors (a Redis loading its data) pass.
      out[i].status = absl::StartsWith(r.str, "WRONGTYPE")
                          ? absl::DataLossError(absl::StrCat(key, ": ", r.str))
                          : absl::InternalError(absl::StrCat(key, ": redis: ", r.str));
      continue;
    }
    if (r.elements.size() != 2 || r.elements[0].nil()) continue;
    sla::v1::TimerState state;
    if (!absl::SimpleAtoi(r.elements[0].str, &out[i].revision)) {
      out[i].status = absl::DataLossError(absl::StrCat(key, ": bad revision"));
    } else if (!state.ParseFromString(r.elements[1].str)) {
      out[i].status = absl::DataLossError(absl::StrCat(key, ": bad state"));
    } else {
      out[i].state = std::move(state);
    }
  }
  return out;
}

absl::StatusOr<std::vector<absl::StatusOr<bool>>> ClockStore::Commit(
    const std::vector<Write>& writes) {
  std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> calls;
  calls.reserve(writes.size());
  for (const Write& w : writes) {
    const Outcome& o = *w.outcome;
    std::vector<std::string> args = {
        std::to_string(w.expected_revision),
        o.state.SerializeAsString(),
        w.key.incident_id,
        o.next_fire ? absl::StrFormat("%.0f", DueScore(*o.next_fire)) : std::string(),
        std::to_string(std::max<int64_t>(0, absl::ToInt64Milliseconds(w.expire_after))),
        std::to_string(o.open_delta.size())};
    for (const auto& [field, delta] : o.open_delta) {
      args.push_back(field);
      args.push_back(std::to_string(delta));
    }
    for (const events::CloudEvent& e : o.events) args.push_back(OutboxEntry(e));
    const int32_t p = w.key.partition;
    std::vector<std::string> keys = {StateKey(p, w.key.incident_id), DueKey(p), OutboxKey(p),
                                     OpenKey(p)};
    if (std::optional<std::string> marker = Marker(p)) {
      keys.push_back(DatasetKey(p));
      args.push_back(*std::move(marker));
    }
    calls.push_back({std::move(keys), std::move(args)});
  }
  ITSM_ASSIGN_OR_RETURN(auto replies, redis_.EvalMany(commit_, calls));
  std::vector<absl::StatusOr<bool>> out;
  out.reserve(replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    if (IsDatasetLost(replies[i])) {
      // UNAVAILABLE, tried again (after the rewind it starts): the event is not skipped.
      out.push_back(DatasetLost(writes[i].key.partition));
    } else if (replies[i].type == redis::RedisValue::Type::kError) {
      // BADSTATE: the record's own key is not a state (its record is lost, as with a state that
      // does not parse); anything else concerns the partition's keys, or Redis itself.
      const std::string key = StateKey(writes[i].key.partition, writes[i].key.incident_id);
      out.push_back(absl::StartsWith(replies[i].str, "BADSTATE")
                        ? absl::DataLossError(absl::StrCat(key, ": ", replies[i].str))
                        : absl::InternalError(absl::StrCat(key, ": redis: ", replies[i].str)));
    } else {
      out.push_back(replies[i].integer > 0);
    }
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ClockStore::Due(int32_t partition, absl::Time now,
                                                         int offset, int limit) {
  std::vector<std::vector<std::string>> commands;
  // Asked with the due clocks: a Redis emptied while nothing was written would otherwise show
  // nothing due, and no breach would fire until the partition's next event.
  const std::optional<std::string> marker = Marker(partition);
  if (marker) commands.push_back({"GET", DatasetKey(partition)});
  commands.push_back(
      {"ZRANGEBYSCORE", DueKey(partition), "-inf",
       absl::StrFormat("%.0f", std::floor(absl::ToDoubleMilliseconds(now - absl::UnixEpoch()))),
       "LIMIT", std::to_string(offset), std::to_string(limit)});
  ITSM_ASSIGN_OR_RETURN(std::vector<redis::RedisValue> replies, redis_.Pipeline(commands));
  for (const redis::RedisValue& v : replies) {
    if (v.type == redis::RedisValue::Type::kError) {
      return absl::InternalError(absl::StrCat(DueKey(partition), ": redis: ", v.str));
    }
  }
  if (marker &&
      (replies[0].type != redis::RedisValue::Type::kString || replies[0].str != *marker)) {
    return DatasetLost(partition);
  }
  std::vector<std::string> out;
  for (auto& e : replies.back().elements) out.push_back(std::move(e.str));
  return out;
}

absl::Status ClockStore::RemoveDue(int32_t partition, const std::string& incident_id) {
  return redis_.Command({"ZREM", DueKey(partition), incident_id}).status();
}

absl::StatusOr<std::vector<std::string>> ClockStore::PeekOutbox(int32_t partition, int limit) {
  ITSM_ASSIGN_OR_RETURN(redis::RedisValue v, redis_.Command({"LRANGE", OutboxKey(partition), "0",
                                                             std::to_string(limit - 1)}));
  std::vector<std::string> out;
  for (auto& e : v.elements) out.push_back(std::move(e.str));
  return out;
}

absl::StatusOr<bool> ClockStore::AckOutbox(int32_t partition, const std::string& first, int count) {
  ITSM_ASSIGN_OR_RETURN(redis::RedisValue v,
                        redis_.Eval(ack_, {OutboxKey(partition)}, {first, std::to_string(count)}));
  return v.integer == 1;
}

absl::StatusOr<int64_t> ClockStore::OutboxLength(int32_t partition) {
  ITSM_ASSIGN_OR_RETURN(redis::RedisValue v, redis_.Command({"LLEN", OutboxKey(partition)}));
  return v.integer;
}

absl::StatusOr<std::map<std::string, int64_t>> ClockStore::OpenClocks(int32_t partition) {
  ITSM_ASSIGN_OR_RETURN(redis::RedisValue v, redis_.Command({"HGETALL", OpenKey(partition)}));
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    int64_t n = 0;
    if (absl::SimpleAtoi(v.elements[i + 1].str, &n)) out[v.elements[i].str] = n;
  }
  return out;
}

}  // namespace itsm::sla_timer
