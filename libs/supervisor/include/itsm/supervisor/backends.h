// The external pieces a local suite runs on, each started on loopback with its data in a given
// folder: redis-server (AOF on), the embedded Kafka-protocol broker (itsm-kafka), and a
// throwaway PostgreSQL cluster. Stopping (or destroying) one stops its process.
#ifndef ITSM_SUPERVISOR_BACKENDS_H_
#define ITSM_SUPERVISOR_BACKENDS_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::supervisor {

class RedisServer {
 public:
  // port 0 picks a free one. A `password` is required of every client (requirepass, written
  // to a private file in `dir` rather than given as an argument other users could read): a
  // client of another Redis, or another suite's, cannot take it for this one.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(const std::string& dir, int port,
                                                            const std::string& log_file = "",
                                                            const std::string& password = "");
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  ChildProcess& process() { return *process_; }
  void Stop() { process_->Stop(absl::Seconds(10)); }

  // Starts redis-server again once its process has exited (a crash): on the same port, with
  // the same data folder (it reloads its AOF) and log. Returns at once; then PollReady() until
  // it answers true. `timeout` bounds the wait for PING, AOF loading included.
  absl::Status Restart(absl::Duration timeout);
  // One PING: true once it answers; false while it starts (or loads its AOF); an error when it
  // exited or did not answer within the timeout. The process is left as it is.
  absl::StatusOr<bool> PollReady();

 private:
  absl::Status Launch(absl::Duration timeout);

  std::string dir_;
  std::string log_file_;
  std::string password_;
  int port_ = 0;
  absl::Time deadline_;
  std::unique_ptr<ChildProcess> process_;
};

class KafkaBroker {
 public:
  struct Options {
    std::string dir;  // where the bootstrap file is written
    int brokers = 1;
    int partitions = 8;
    std::vector<std::string> topics;
    std::string log_file;
  };
  // Starts itsm-kafka and waits for its bootstrap address.
  static absl::StatusOr<std::unique_ptr<KafkaBroker>> Start(const Options& options);
  const std::string& bootstrap_servers() const { return bootstrap_; }
  ChildProcess& process() { return *process_; }
  void Stop() { process_->Stop(absl::Seconds(10)); }

 private:
  std::string bootstrap_;
  std::unique_ptr<ChildProcess> process_;
};

// A PostgreSQL 15 cluster from Debian's packages, initialised in `dir` (trust authentication,
// loopback only). As root, initdb and the server run as the `postgres` user, which must own the
// folder: Start() takes care of that.
//
// The server runs in the foreground as a child of this process (not daemonised by pg_ctl), forked
// by a thread of its own that lives until Stop(): PR_SET_PDEATHSIG fires when the forking thread
// ends, so the cluster stops with this process however it ends — a test killed on a timeout
// included — and not before, whichever thread asked for it.
class PostgresServer {
 public:
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(const std::string& dir,
                                                               int port = 0);
  ~PostgresServer();
  // A new empty database; returns its connection URL.
  absl::StatusOr<std::string> CreateDatabase(const std::string& name);
  std::string Url(const std::string& database) const;
  // Fast shutdown (sessions rolled back), waiting for the server to exit.
  void Stop();

 private:
  PostgresServer() = default;
  absl::Status RunTool(const std::string& tool, const std::vector<std::string>& args);
  // Forks the postmaster from keeper_ and waits until it accepts connections.
  absl::Status Launch();
  std::string dir_;
  std::string user_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> postmaster_;
  std::thread keeper_;
  absl::Notification stop_keeper_;
};

// Where Debian keeps PostgreSQL's server binaries (initdb, postgres, createdb).
absl::StatusOr<std::string> PostgresBinDir();

}  // namespace itsm::supervisor

#endif  // ITSM_SUPERVISOR_BACKENDS_H_
