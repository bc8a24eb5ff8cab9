#include "itsm/redis/redis_client.h"

#include <hiredis.h>
#include <sys/time.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/status_macros.h"

namespace itsm::redis {
namespace {

RedisValue Copy(const redisReply* r) {
  RedisValue v;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      v.type = RedisValue::Type::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      v.type = RedisValue::Type::kString;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RedisValue::Type::kError;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RedisValue::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) v.elements.push_back(Copy(r->element[i]));
      break;
    default:
      break;
  }
  return v;
}

void Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
}

}  // namespace

RedisClient::RedisClient(std::string address, absl::Duration timeout, RedisAuth auth)
    : timeout_(timeout), auth_(std::move(auth)) {
  const size_t colon = address.rfind(':');
  host_ = address.substr(0, colon);
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port_)) {
    port_ = 6379;
  }
}

RedisClient::~RedisClient() { Drop(); }

void RedisClient::Drop() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

absl::Status RedisClient::Connect() {
  if (ctx_ && expired_ && expired_()) Drop();
  if (ctx_) return absl::OkStatus();
  timeval tv{};
  tv.tv_sec = absl::ToInt64Seconds(timeout_);
  tv.tv_usec = absl::ToInt64Microseconds(timeout_ - absl::Seconds(tv.tv_sec));
  ctx_ = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (!ctx_ || ctx_->err) {
    std::string err = ctx_ ? ctx_->errstr : "out of memory";
    Drop();
    return absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, ": ", err));
  }
  redisSetTimeout(ctx_, tv);
  if (auth_.enabled()) {
    // Before any other command on the connection, as Redis requires.
    std::vector<std::string> command = {"AUTH"};
    if (!auth_.username.empty()) command.push_back(auth_.username);
    command.push_back(auth_.password);
    ITSM_ASSIGN_OR_RETURN(const RedisValue reply, ConnectionRoundTrip(command, "AUTH"));
    if (reply.type == RedisValue::Type::kError) {
      Drop();
      // Redis' own message (WRONGPASS ..., or "AUTH called without any password configured"),
      // which never repeats the password.
      return absl::PermissionDeniedError(absl::StrCat(
          "redis ", host_, ":", port_, " refused AUTH",
          auth_.username.empty() ? "" : absl::StrCat(" as ", auth_.username), ": ", reply.str));
    }
  }
  if (!connect_check_) return absl::OkStatus();
  ITSM_ASSIGN_OR_RETURN(const RedisValue info, ConnectionRoundTrip({"INFO"}, "INFO"));
  std::string run_id, replid;
  for (absl::string_view line : absl::StrSplit(info.str, absl::ByAnyChar("\r\n"))) {
    if (absl::ConsumePrefix(&line, "run_id:")) run_id = std::string(line);
    if (absl::ConsumePrefix(&line, "master_replid:")) replid = std::string(line);
  }
  if (info.type == RedisValue::Type::kError || run_id.empty()) {
    Drop();
    return absl::UnavailableError(
        absl::StrCat("redis ", host_, ":", port_, ": INFO answered no run_id: ", info.str));
  }
  if (absl::Status admitted = connect_check_(absl::StrCat(run_id, "/", replid)); !admitted.ok()) {
    Drop();
    return admitted;
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisValue> RedisClient::ConnectionRoundTrip(const std::vector<std::string>& command,
                                                            const char* what) {
  Append(ctx_, command);
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    std::string err = ctx_->errstr;
    Drop();
    return absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, ": ", what, ": ", err));
  }
  RedisValue reply = Copy(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

absl::StatusOr<std::vector<RedisValue>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& cmds) {
  ITSM_RETURN_IF_ERROR(Connect());
  for (const auto& c : cmds) Append(ctx_, c);
  std::vector<RedisValue> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      std::string err = ctx_->errstr;
      Drop();  // the stream is out of step now: start over on a new connection
      return absl::UnavailableError(absl::StrCat("redis ", host_, ":", port_, ": ", err));
    }
    auto* reply = static_cast<redisReply*>(raw);
    out.push_back(Copy(reply));
    freeReplyObject(reply);
  }
  return out;
}

absl::StatusOr<RedisValue> RedisClient::Command(const std::vector<std::string>& args) {
  ITSM_ASSIGN_OR_RETURN(auto replies, Pipeline({args}));
  RedisValue v = std::move(replies[0]);
  if (v.type == RedisValue::Type::kError)
    return absl::InternalError(absl::StrCat("redis: ", v.str));
  return v;
}

absl::Status RedisClient::Load(Script& script) {
  ITSM_ASSIGN_OR_RETURN(RedisValue v, Command({"SCRIPT", "LOAD", script.source}));
  script.sha = v.str;
  return absl::OkStatus();
}

std::vector<std::string> RedisClient::EvalArgs(const Script& script,
                                               const std::vector<std::string>& keys,
                                               const std::vector<std::string>& args) {
  std::vector<std::string> cmd = {"EVALSHA", script.sha, std::to_string(keys.size())};
  cmd.insert(cmd.end(), keys.begin(), keys.end());
  cmd.insert(cmd.end(), args.begin(), args.end());
  return cmd;
}

absl::StatusOr<RedisValue> RedisClient::Eval(Script& script, const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
  ITSM_ASSIGN_OR_RETURN(auto replies, EvalMany(script, {{keys, args}}));
  RedisValue v = std::move(replies[0]);
  if (v.type == RedisValue::Type::kError)
    return absl::InternalError(absl::StrCat("redis: ", v.str));
  return v;
}

absl::StatusOr<std::vector<RedisValue>> RedisClient::EvalMany(
    Script& script,
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>& calls) {
  if (script.sha.empty()) ITSM_RETURN_IF_ERROR(Load(script));
  std::vector<std::vector<std::string>> cmds;
  cmds.reserve(calls.size());
  for (const auto& [keys, args] : calls) cmds.push_back(EvalArgs(script, keys, args));
  ITSM_ASSIGN_OR_RETURN(auto replies, Pipeline(cmds));
  bool noscript = false;
  for (const auto& r : replies) {
    noscript |= r.type == RedisValue::Type::kError && r.str.starts_with("NOSCRIPT");
  }
  if (!noscript) return replies;
  // Redis restarted (its script cache is not persisted): load and run again. A NOSCRIPT call
  // did nothing, so running it again is safe; the others already ran and keep their replies.
  ITSM_RETURN_IF_ERROR(Load(script));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].type == RedisValue::Type::kError && replies[i].str.starts_with("NOSCRIPT")) {
      ITSM_ASSIGN_OR_RETURN(auto again,
                            Pipeline({EvalArgs(script, calls[i].first, calls[i].second)}));
      replies[i] = std::move(again[0]);
    }
  }
  return replies;
}

}  // namespace itsm::redis
