// What every itsmctl command shares: parsed arguments, the suite's endpoints, output in tables
// or JSON, and errors reported in one line with a non-zero exit.
#ifndef ITSM_TOOLS_ITSMCTL_CLI_H_
#define ITSM_TOOLS_ITSMCTL_CLI_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway_bridge.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "itsm/common/v1/common.pb.h"
#include "itsm/launcher/v1/endpoints.pb.h"
#include "itsm/runtime/grpc_tls.h"
#include "itsm/runtime/outbound_identity.h"

namespace itsm::ctl {

// --name value / --name=value options (repeatable), flags without value (--major, or
// --major=true / =false, yes/no, 1/0, on/off; --major=false is --not-major where that flag
// exists), and positionals.
class Args {
 public:
  // `flags` are the options that take no value (e.g. "major").
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv,
                                    const std::vector<std::string>& flags);
  bool Has(const std::string& name) const { return values_.contains(name); }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& name) const;
  absl::StatusOr<int> GetInt(const std::string& name, int fallback) const;
  // --version: 0 when not given (the command then reads the stored one), INVALID_ARGUMENT
  // below 1 (a script's unparsed version must not turn into a blind overwrite).
  absl::StatusOr<int64_t> GetVersion() const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // INVALID_ARGUMENT naming the first word after the first `expected` (a stray word, or the
  // value of a misspelt option), for a command that takes no more.
  absl::Status NoMoreWordsThan(size_t expected) const;
  // INVALID_ARGUMENT naming the first option not in `known`.
  absl::Status OnlyKnown(const std::vector<std::string>& known) const;

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

struct Globals {
  std::string endpoints_file;  // --endpoints, $ITSM_ENDPOINTS, ./run/endpoints.json
  std::string address;         // --address: a service's gRPC address, overriding endpoints
  std::string bootstrap;       // --bootstrap: Kafka, overriding endpoints
  // Who you are. With a suite whose key itsmctl can read (the launcher's run dir), itsmctl signs
  // a token for --actor (default local:<login>) with --roles (default admin), as whoever holds
  // the key may; --token presents one from elsewhere (an OIDC provider). Without
  // authentication in the suite, --actor is sent as x-itsm-actor.
  std::string actor;            // --actor
  std::string roles = "admin";  // --roles viewer,agent
  std::string token;            // --token, $ITSM_TOKEN
  // Through the REST gateway instead of the services' gRPC ports: its URL, the API key to
  // present (else --token), and the CA to verify an https gateway with.
  std::string gateway;     // --gateway, $ITSM_GATEWAY
  std::string api_key;     // --api-key, $ITSM_API_KEY
  std::string gateway_ca;  // --gateway-ca
  bool json = false;       // --output json
  // itsmctl's own certificate for a suite running mutual TLS: --tls-cert/--tls-key/--tls-ca,
  // else $ITSM_GRPC_TLS_CERT_FILE/_KEY_FILE/_CA_FILE (the services' setting names), else the
  // client certificate the launcher issued (endpoints file, "tls"); none: plaintext.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
};

// The options of any command that take no value. Args::Parse takes no other as a flag.
const std::vector<std::string>& ValuelessOptions();

// Reads the global options (Globals) out of `argv` (without the program's name) and returns the
// rest: the command, its words and its options. A global option may stand before the command or
// after it (`itsmctl incident get X --output json`), but never in a value's place: the word
// after a command's option that takes a value is that value (`--title "--gateway=..."` is a
// title), and everything after `--` is the command's. INVALID_ARGUMENT naming the option.
absl::StatusOr<std::vector<std::string>> ReadGlobalOptions(const std::vector<std::string>& argv,
                                                           Globals& globals);

class Context {
 public:
  explicit Context(Globals globals) : globals_(std::move(globals)) {}
  const Globals& globals() const { return globals_; }
  // The endpoints the launcher wrote. NOT_FOUND explains how to start the suite.
  absl::StatusOr<launcher::v1::Endpoints> Endpoints() const;
  // Through the gateway with --gateway; else --address, else the named service's address from
  // the endpoints file.
  absl::StatusOr<std::shared_ptr<grpc::Channel>> ChannelFor(const std::string& service) const;
  absl::StatusOr<std::string> KafkaBootstrap() const;
  // A client context with a deadline, and --token or the actor header.
  std::unique_ptr<grpc::ClientContext> NewCall() const;
  // The bearer token itsmctl presents: --token, else the one it signs (valid ten minutes).
  absl::StatusOr<std::string> IdentityToken() const;
  // How itsmctl's channels connect: mutual TLS with its certificate (see Globals), or plaintext.
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials() const;

 private:
  // The identity itsmctl signs for its user: null when --token is given or the suite runs
  // without authentication.
  absl::StatusOr<std::shared_ptr<runtime::OutboundIdentity>> SignedIdentity() const;

  Globals globals_;
  mutable std::shared_ptr<runtime::OutboundIdentity> identity_;
  mutable std::shared_ptr<GatewayBridge> gateway_bridge_;
  mutable bool identity_read_ = false;
  mutable std::shared_ptr<grpc::ChannelCredentials> credentials_;
};

// "NOT_FOUND: id: no incident ..." from a failed call, in the form users read.
absl::Status FromGrpc(const grpc::Status& status);

// The proto3 JSON mapping, as the REST gateway and docs/events.md write it: lowerCamelCase field
// names (`createTime`), enums by name, 64-bit integers as strings. The only JSON itsmctl prints
// for a message. `indented` puts one field on a line; otherwise the whole message is one line.
std::string ToJson(const google::protobuf::Message& message, bool indented = true);

// A plain text table: a header row, then rows; columns sized to their widest cell.
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// A record's audit trail as a table: a row per changed field, the entry's version, time (local),
// actor and action on its first; old and new values clipped to 40 characters.
void PrintAuditTrail(const google::protobuf::RepeatedPtrField<common::v1::AuditEntry>& entries);

// An entry of a trail that mixes records (a CI's with its relationships'), and what it is of.
struct TrailEntry {
  const common::v1::AuditEntry* entry;
  std::string subject;  // "" for the record the trail was asked for
};
// The same table, with a SUBJECT column when `with_subject`.
void PrintAuditTrail(const std::vector<TrailEntry>& trail, bool with_subject);

}  // namespace itsm::ctl

#endif  // ITSM_TOOLS_ITSMCTL_CLI_H_
