#include "itsm/supervisor/backends.h"

#include <hiredis.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "itsm/base/status_macros.h"

namespace itsm::supervisor {
namespace {

// What a PING on `port` found: an answer, Redis still loading its data, or nothing (yet).
enum class PingAnswer { kNone, kLoading, kReady };

// A connection to 127.0.0.1:`port`, authenticated with `password` when one is given; null when
// none could be made. Replies time out too: a listener that accepts and never answers (stopped,
// or not Redis) must not hold up the caller (the launcher's loop, and its Ctrl-C).
redisContext* Connect(int port, const std::string& password) {
  timeval tv{0, 200'000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr) return nullptr;
  if (c->err) {
    redisFree(c);
    return nullptr;
  }
  redisSetTimeout(c, tv);
  if (!password.empty()) {
    auto* reply =
        static_cast<redisReply*>(redisCommand(c, "AUTH %b", password.data(), password.size()));
    // Refused (a Redis without this password): as if nothing answered.
    const bool ok = reply != nullptr && reply->type == REDIS_REPLY_STATUS;
    if (reply) freeReplyObject(reply);
    if (!ok) {
      redisFree(c);
      return nullptr;
    }
  }
  return c;
}

PingAnswer PingRedis(int port, const std::string& password) {
  redisContext* c = Connect(port, password);
  PingAnswer answer = PingAnswer::kNone;
  if (c) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
    if (reply && reply->type == REDIS_REPLY_STATUS) answer = PingAnswer::kReady;
    if (reply && reply->type == REDIS_REPLY_ERROR &&
        absl::StartsWith(absl::string_view(reply->str, reply->len), "LOADING")) {
      answer = PingAnswer::kLoading;
    }
    if (reply) freeReplyObject(reply);
  }
  if (c) redisFree(c);
  return answer;
}

// The process id of the Redis answering on `port` (INFO server), if one answers.
std::optional<int64_t> RedisPid(int port, const std::string& password) {
  redisContext* c = Connect(port, password);
  std::optional<int64_t> pid;
  if (c) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "INFO server"));
    if (reply && reply->type == REDIS_REPLY_STRING) {
      for (absl::string_view line :
           absl::StrSplit(absl::string_view(reply->str, reply->len), '\n')) {
        int64_t value = 0;
        if (absl::ConsumePrefix(&line, "process_id:") &&
            absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &value)) {
          pid = value;
        }
      }
    }
    if (reply) freeReplyObject(reply);
  }
  if (c) redisFree(c);
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& dir, int port,
                                                                const std::string& log_file,
                                                                const std::string& password) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  auto server = std::make_unique<RedisServer>();
  server->dir_ = dir;
  server->log_file_ = log_file;
  server->password_ = password;
  server->port_ = port ? port : FindFreePort();
  ITSM_RETURN_IF_ERROR(server->Launch(absl::Seconds(10)));
  for (;;) {
    ITSM_ASSIGN_OR_RETURN(const bool ready, server->PollReady());
    if (ready) return server;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

absl::Status RedisServer::Restart(absl::Duration timeout) {
  if (process_ != nullptr && process_->Running()) {
    return absl::FailedPreconditionError("redis-server still runs");
  }
  return Launch(timeout);
}

absl::Status RedisServer::Launch(absl::Duration timeout) {
  ChildProcess::Options options;
  options.binary = "redis-server";
  if (!password_.empty()) {
    // In a file of its own (0600), first on the command line: an argument would show the
    // password to every user of the machine.
    const std::string conf = dir_ + "/itsm-auth.conf";
    ITSM_RETURN_IF_ERROR(WriteFileAtomically(
        conf, absl::StrCat("requirepass \"", password_, "\"\n"), /*owner_only=*/true));
    options.args.push_back(conf);
  }
  // AOF with an fsync every second: the documented durability of the SLA clocks.
  const std::vector<std::string> settings = {"--port",
                                             std::to_string(port_),
                                             "--bind",
                                             "127.0.0.1",
                                             "--dir",
                                             dir_,
                                             "--appendonly",
                                             "yes",
                                             "--appendfsync",
                                             "everysec",
                                             "--save",
                                             "",
                                             "--daemonize",
                                             "no",
                                             "--protected-mode",
                                             "yes"};
  options.args.insert(options.args.end(), settings.begin(), settings.end());
  options.log_file = log_file_;
  ITSM_ASSIGN_OR_RETURN(process_, ChildProcess::Start(options));
  deadline_ = absl::Now() + timeout;
  return absl::OkStatus();
}

absl::StatusOr<bool> RedisServer::PollReady() {
  if (!process_->Running()) {
    const std::string said = LastLogLine(log_file_);
    return absl::UnavailableError(absl::StrCat("redis-server exited at start (port ", port_,
                                               " taken?)", said.empty() ? "" : ": ", said, "; see ",
                                               log_file_));
  }
  const PingAnswer answer = PingRedis(port_, password_);
  if (answer == PingAnswer::kReady) {
    // Any Redis answers a PING: the suite's clocks must go to this one (AOF in its folder), not
    // to another redis-server that held the port first. Ours then exits (the port is taken),
    // which the next poll reports; until then, not ready.
    const std::optional<int64_t> pid = RedisPid(port_, password_);
    if (pid && *pid == process_->pid()) return true;
    if (absl::Now() >= deadline_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "port ", port_, " is answered by another redis-server (pid ",
          pid ? absl::StrCat(*pid) : "unknown", "), not the one started for the suite"));
    }
    return false;
  }
  // Reading a large AOF takes as long as it takes: killed at the deadline, it would start over
  // at every try and never serve.
  if (answer == PingAnswer::kLoading) return false;
  if (absl::Now() >= deadline_) {
    return absl::DeadlineExceededError(
        absl::StrCat("redis-server on port ", port_, " does not answer PING; see ", log_file_));
  }
  return false;
}

absl::StatusOr<std::unique_ptr<KafkaBroker>> KafkaBroker::Start(const Options& options) {
  std::error_code error;
  std::filesystem::create_directories(options.dir, error);
  const std::string bootstrap_file = options.dir + "/bootstrap";
  if (!error) std::filesystem::remove(bootstrap_file, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot prepare ", options.dir, " for itsm-kafka: ", error.message()));
  }
  ITSM_ASSIGN_OR_RETURN(std::string binary, FindSuiteBinary("itsm-kafka"));
  ChildProcess::Options child;
  child.binary = binary;
  child.args = {"--bootstrap_file=" + bootstrap_file,
                "--brokers=" + std::to_string(options.brokers),
                "--partitions=" + std::to_string(options.partitions)};
  if (!options.topics.empty())
    child.args.push_back("--topics=" + absl::StrJoin(options.topics, ","));
  child.log_file = options.log_file;
  auto broker = std::make_unique<KafkaBroker>();
  ITSM_ASSIGN_OR_RETURN(broker->process_, ChildProcess::Start(child));
  ChildProcess* proc = broker->process_.get();
  ITSM_RETURN_IF_ERROR(
      WaitUntil([&] { return !proc->Running() || std::filesystem::exists(bootstrap_file, error); },
                absl::Seconds(10), "itsm-kafka"));
  if (!proc->Running()) return absl::UnavailableError("itsm-kafka exited at start");
  ITSM_ASSIGN_OR_RETURN(std::string bootstrap, ReadFile(bootstrap_file));
  broker->bootstrap_ = std::string(absl::StripAsciiWhitespace(bootstrap));
  return broker;
}

absl::StatusOr<std::string> PostgresBinDir() {
  for (const char* dir :
       {"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}) {
    if (access((std::string(dir) + "/postgres").c_str(), X_OK) == 0) return std::string(dir);
  }
  return absl::NotFoundError("PostgreSQL server binaries not found (install postgresql-15)");
}

absl::Status PostgresServer::RunTool(const std::string& tool,
                                     const std::vector<std::string>& args) {
  ITSM_ASSIGN_OR_RETURN(std::string bin_dir, PostgresBinDir());
  ChildProcess::Options options;
  options.binary = bin_dir + "/" + tool;
  options.args = args;
  options.user = user_;
  options.log_file = dir_ + "/tools.log";
  ITSM_ASSIGN_OR_RETURN(auto proc, ChildProcess::Start(options));
  const int code = proc->Wait(absl::Seconds(120));
  if (code != 0) {
    return absl::UnavailableError(
        absl::StrCat(tool, " failed with exit code ", code, "; see ", dir_, "/tools.log"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(const std::string& dir,
                                                                      int port) {
  auto server = std::unique_ptr<PostgresServer>(new PostgresServer());
  server->dir_ = dir;
  server->port_ = port ? port : FindFreePort();
  std::filesystem::create_directories(dir);
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root.
    server->user_ = "postgres";
    struct passwd* pw = getpwnam("postgres");
    if (!pw) return absl::NotFoundError("user postgres does not exist (install postgresql-15)");
    for (auto p = std::filesystem::path(dir); !p.empty() && p != p.root_path();
         p = p.parent_path()) {
      // Every folder above must be traversable by postgres, the data folder owned by it.
      if (p == std::filesystem::path(dir)) {
        if (chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
          return absl::PermissionDeniedError("cannot chown " + p.string());
        }
      } else {
        std::filesystem::permissions(p, std::filesystem::perms::others_exec,
                                     std::filesystem::perm_options::add);
      }
    }
  }
  const std::string data = dir + "/data";
  ITSM_RETURN_IF_ERROR(server->RunTool(
      "initdb", {"-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"}));
  ITSM_RETURN_IF_ERROR(server->Launch());
  return server;
}

absl::Status PostgresServer::Launch() {
  ITSM_ASSIGN_OR_RETURN(std::string bin_dir, PostgresBinDir());
  ChildProcess::Options options;
  options.binary = bin_dir + "/postgres";
  options.args = {"-D", dir_ + "/data",
                  "-p", std::to_string(port_),
                  "-c", "listen_addresses=127.0.0.1",
                  "-c", "unix_socket_directories=" + dir_,
                  "-c", "max_connections=200",
                  "-c", "fsync=on"};
  options.user = user_;
  options.log_file = dir_ + "/server.log";
  absl::Status forked = absl::OkStatus();
  absl::Notification started;
  keeper_ = std::thread([this, &options, &forked, &started] {
    auto process = ChildProcess::Start(options);
    if (process.ok()) {
      postmaster_ = *std::move(process);
    } else {
      forked = process.status();
    }
    started.Notify();  // options, forked and started are not touched after this
    stop_keeper_.WaitForNotification();
  });
  started.WaitForNotification();
  ITSM_RETURN_IF_ERROR(forked);
  // Ready once postmaster.pid's status line says so (what `pg_ctl -w` waits for).
  const std::string pid_file = dir_ + "/data/postmaster.pid";
  const absl::Status ready = WaitUntil(
      [&] {
        if (!postmaster_->Running()) return true;
        const std::vector<std::string> lines =
            absl::StrSplit(ReadFile(pid_file).value_or(""), '\n');
        return lines.size() > 7 && absl::StripAsciiWhitespace(lines[7]) == "ready";
      },
      absl::Seconds(60), "PostgreSQL to accept connections", absl::Milliseconds(50));
  if (!postmaster_->Running()) {
    return absl::UnavailableError(
        absl::StrCat("postgres exited at start; see ", dir_, "/server.log"));
  }
  return ready;
}

PostgresServer::~PostgresServer() { Stop(); }

void PostgresServer::Stop() {
  if (postmaster_ != nullptr && postmaster_->Running()) {
    // Fast shutdown: roll back sessions and stop; the cluster is thrown away anyway.
    postmaster_->Signal(SIGINT);
    postmaster_->Wait(absl::Seconds(60));
  }
  if (keeper_.joinable()) {
    stop_keeper_.Notify();
    keeper_.join();
  }
}

std::string PostgresServer::Url(const std::string& database) const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/", database, "?sslmode=disable");
}

absl::StatusOr<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  ITSM_RETURN_IF_ERROR(RunTool(
      "createdb", {"-h", "127.0.0.1", "-p", std::to_string(port_), "-U", "postgres", name}));
  return Url(name);
}

}  // namespace itsm::supervisor
