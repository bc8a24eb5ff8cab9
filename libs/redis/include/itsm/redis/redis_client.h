// A small synchronous Redis client over hiredis 0.14: one connection, used by one thread at a
// time; reconnects on the next call after an I/O error. Commands go as argument vectors (binary
// safe); Pipeline sends many and reads their replies in one round trip. Scripts are run with
// EVALSHA, loading them on NOSCRIPT (after a Redis restart or failover).
#ifndef ITSM_REDIS_REDIS_CLIENT_H_
#define ITSM_REDIS_REDIS_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisContext;
struct redisReply;

namespace itsm::redis {

// A reply, copied out of hiredis: nil, integer, string (status and bulk), array, or error.
struct RedisValue {
  enum class Type { kNil, kInteger, kString, kArray, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;
  std::vector<RedisValue> elements;
  bool nil() const { return type == Type::kNil; }
};

// Who the client is to a Redis that requires AUTH (requirepass, or Redis 6 ACL users). Empty
// password: no AUTH. The password is sent, never logged nor put in an error message.
struct RedisAuth {
  std::string username = {};  // empty: the default user (AUTH <password>)
  std::string password = {};
  bool enabled() const { return !password.empty(); }
};

class RedisClient {
 public:
  // "host:port". The connection is opened lazily (and again after a failure), then AUTH is sent
  // when `auth` is enabled.
  explicit RedisClient(std::string address, absl::Duration timeout = absl::Seconds(5),
                       RedisAuth auth = {});
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Asked, on every new connection before any other command, with the server's identity
  // (INFO: "<run_id>/<master_replid>"): another run_id is another Redis process — restarted, or
  // a replica promoted by a failover — and another replication id the same process holding
  // another dataset (resynchronised from a new primary); either may hold less than before (the
  // tail of its AOF, writes not replicated yet). A non-OK answer drops the connection and is
  // the call's result, until a later call's connection is admitted. Set before the first call.
  using ConnectCheck = std::function<absl::Status(const std::string& identity)>;
  void SetConnectCheck(ConnectCheck check) { connect_check_ = std::move(check); }
  // Asked before each call on an open connection: true closes it first, so that the call opens
  // a new one (which the connect check sees). Set before the first call.
  void SetConnectionExpiry(std::function<bool()> expired) { expired_ = std::move(expired); }

  // UNAVAILABLE when Redis cannot be reached (retry later); an error reply is INTERNAL with
  // Redis' message, except NOSCRIPT handled inside Eval.
  absl::StatusOr<RedisValue> Command(const std::vector<std::string>& args);
  // Every command's reply, in order; fails as a whole only on I/O errors.
  absl::StatusOr<std::vector<RedisValue>> Pipeline(
      const std::vector<std::vector<std::string>>& cmds);

  // A Lua script, identified by its SHA-1 once loaded.
  struct Script {
    std::string source;
    std::string sha;  // filled by Load
  };
  absl::Status Load(Script& script);
  // EVALSHA `script` with `keys` and `args` (loads it on NOSCRIPT).
  absl::StatusOr<RedisValue> Eval(Script& script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);
  // EVALSHA of many invocations in one round trip; each entry is {keys, args}.
  absl::StatusOr<std::vector<RedisValue>> EvalMany(
      Script& script,
      const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>>& calls);

 private:
  absl::Status Connect();
  // One command and its reply on the connection being opened (AUTH, INFO).
  absl::StatusOr<RedisValue> ConnectionRoundTrip(const std::vector<std::string>& command,
                                                 const char* what);
  void Drop();
  static std::vector<std::string> EvalArgs(const Script& script,
                                           const std::vector<std::string>& keys,
                                           const std::vector<std::string>& args);

  std::string host_;
  int port_ = 0;
  absl::Duration timeout_;
  RedisAuth auth_;
  ConnectCheck connect_check_;
  std::function<bool()> expired_;
  redisContext* ctx_ = nullptr;
};

}  // namespace itsm::redis

#endif  // ITSM_REDIS_REDIS_CLIENT_H_
