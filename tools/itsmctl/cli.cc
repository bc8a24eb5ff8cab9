#include "cli.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cells.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/auth/token_verifier.h"
#include "itsm/base/status_macros.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::ctl {

namespace {

// A flag's written value: true, false, yes, no, 1, 0, on, off (any case).
absl::StatusOr<bool> FlagValue(const std::string& name, absl::string_view value) {
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "true" || v == "yes" || v == "1" || v == "on") return true;
  if (v == "false" || v == "no" || v == "0" || v == "off") return false;
  return absl::InvalidArgumentError(
      absl::StrCat("--", name, ": a flag is on or off (--", name, ", --", name, "=false)"));
}

bool HasControlCharacter(absl::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool IsValueless(absl::string_view option) {
  const auto& valueless = ValuelessOptions();
  return std::find(valueless.begin(), valueless.end(), option) != valueless.end();
}

}  // namespace

const std::vector<std::string>& ValuelessOptions() {
  static const auto* options = new std::vector<std::string>{
      "24x7",           "abstract", "all",           "csv",       "dead-letters",
      "from-beginning", "json",     "major",         "not-major", "relationships",
      "retroactive",    "upstream", "with-incidents"};
  return *options;
}

absl::StatusOr<std::vector<std::string>> ReadGlobalOptions(const std::vector<std::string>& argv,
                                                           Globals& globals) {
  std::vector<std::string> rest;
  // True when the word before was a command's option that takes a value: this word is that
  // value, whatever it looks like.
  bool value_due = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (value_due) {
      rest.push_back(a);
      value_due = false;
      continue;
    }
    if (a == "--") {
      rest.insert(rest.end(), argv.begin() + i, argv.end());
      break;
    }
    // `--name VALUE` or `--name=VALUE`; never a longer option that merely starts the same.
    auto is = [&](const std::string& name) {
      return a == "--" + name || a.rfind("--" + name + "=", 0) == 0;
    };
    auto read = [&](const std::string& name, std::string& into) -> absl::Status {
      if (a.rfind("--" + name + "=", 0) == 0) {
        into = a.substr(name.size() + 3);
      } else if (i + 1 < argv.size()) {
        into = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      return absl::OkStatus();
    };
    // After `apikey`, --roles are the new key's (apikey create --roles agent), not the token's.
    const bool roles_are_the_tokens = rest.empty() || rest[0] != "apikey";
    const std::pair<const char*, std::string*> text_options[] = {
        {"endpoints", &globals.endpoints_file},
        {"address", &globals.address},
        {"bootstrap", &globals.bootstrap},
        {"actor", &globals.actor},
        {"roles", roles_are_the_tokens ? &globals.roles : nullptr},
        {"token", &globals.token},
        {"gateway-ca", &globals.gateway_ca},
        {"gateway", &globals.gateway},
        {"api-key", &globals.api_key},
        {"tls-cert", &globals.tls_cert_file},
        {"tls-key", &globals.tls_key_file},
        {"tls-ca", &globals.tls_ca_file}};
    const auto* text =
        std::find_if(std::begin(text_options), std::end(text_options),
                     [&](const auto& o) { return o.second != nullptr && is(o.first); });
    std::string output;
    if (text != std::end(text_options)) {
      ITSM_RETURN_IF_ERROR(read(text->first, *text->second));
    } else if (is("output")) {
      ITSM_RETURN_IF_ERROR(read("output", output));
      if (output != "json" && output != "table") {
        return absl::InvalidArgumentError(
            absl::StrCat("--output: expected table or json, got \"", output, "\""));
      }
      globals.json = output == "json";
    } else {
      rest.push_back(a);
      // After the command, its `--name` without `=` that is no flag: the next word is its value.
      value_due = rest.size() > 1 && a.size() > 2 && a.rfind("--", 0) == 0 &&
                  a.find('=') == std::string::npos && !IsValueless(a.substr(2));
    }
  }
  // They go into a request's headers: a line end would start a header of its own.
  if (HasControlCharacter(globals.api_key)) {
    return absl::InvalidArgumentError(
        "--api-key: holds a control character (a line end copied with it?)");
  }
  // A URL holds no blank either (it would split the request line), and is ASCII: a host or path
  // in another script goes on the request line as raw bytes no server reads as meant.
  if (HasControlCharacter(globals.gateway) || globals.gateway.find(' ') != std::string::npos) {
    return absl::InvalidArgumentError("--gateway: holds a blank or a control character");
  }
  if (!std::all_of(globals.gateway.begin(), globals.gateway.end(),
                   [](char c) { return absl::ascii_isascii(c); })) {
    return absl::InvalidArgumentError(
        "--gateway: holds a character beyond ASCII (write a host name in its xn-- form, a path "
        "percent-encoded)");
  }
  if (HasControlCharacter(globals.token)) {
    return absl::InvalidArgumentError(
        "--token: holds a control character (a line end copied with it?)");
  }
  return rest;
}

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& argv,
                                 const std::vector<std::string>& flags) {
  Args args;
  for (const std::string& flag : flags) {
    // main would read the word after it as its value (ReadGlobalOptions).
    if (!IsValueless(flag)) {
      return absl::InternalError(absl::StrCat("--", flag, " is not in ValuelessOptions()"));
    }
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    absl::string_view a = argv[i];
    if (a == "--") {
      // The end of the options: what follows is positional, whatever it looks like.
      args.positionals_.insert(args.positionals_.end(), argv.begin() + i + 1, argv.end());
      break;
    }
    if (!absl::ConsumePrefix(&a, "--")) {
      args.positionals_.push_back(argv[i]);
      continue;
    }
    std::string name(a);
    std::string value;
    const auto is_flag = [&flags](const std::string& n) {
      return std::find(flags.begin(), flags.end(), n) != flags.end();
    };
    if (auto eq = a.find('='); eq != absl::string_view::npos) {
      name = std::string(a.substr(0, eq));
      value = std::string(a.substr(eq + 1));
      if (is_flag(name)) {
        // --major=false is not --major: it is --not-major where there is one, else no flag.
        ITSM_ASSIGN_OR_RETURN(const bool on, FlagValue(name, value));
        if (!on && !is_flag("not-" + name)) continue;
        if (!on) name = "not-" + name;
        value = "true";
      }
    } else if (is_flag(name)) {
      value = "true";
      // "--major no" would leave "no" a stray word and the flag on.
      if (i + 1 < argv.size() && FlagValue(name, argv[i + 1]).ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no separate value: write --", name, "=", argv[i + 1]));
      }
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
    }
    args.values_.emplace(name, value);
  }
  return args;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return fallback;
  return std::prev(range.second)->second;  // the last one wins
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

absl::StatusOr<int> Args::GetInt(const std::string& name, int fallback) const {
  if (!Has(name)) return fallback;
  int v = 0;
  if (!absl::SimpleAtoi(Get(name), &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, ": not a number: ", Get(name)));
  }
  return v;
}

absl::StatusOr<int64_t> Args::GetVersion() const {
  ITSM_ASSIGN_OR_RETURN(const int version, GetInt("version", 0));
  if (Has("version") && version < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--version: a record's version is 1 or more, got ", version));
  }
  return version;
}

absl::Status Args::NoMoreWordsThan(size_t expected) const {
  if (positionals_.size() <= expected) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "unexpected \"", positionals_[expected],
      "\": the command takes no more words (is an option's --name missing before it?)"));
}

absl::Status Args::OnlyKnown(const std::vector<std::string>& known) const {
  for (const auto& [name, value] : values_) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option --", name));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<launcher::v1::Endpoints> Context::Endpoints() const {
  auto text = supervisor::ReadFile(globals_.endpoints_file);
  if (!text.ok()) {
    return absl::NotFoundError(absl::StrCat(
        "no endpoints file at ", globals_.endpoints_file,
        ": start the suite with tools/run-suite.sh, or pass --endpoints or --address"));
  }
  launcher::v1::Endpoints endpoints;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(*text, &endpoints, options).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(globals_.endpoints_file, ": not an endpoints file"));
  }
  return endpoints;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> Context::ChannelFor(
    const std::string& service) const {
  if (!globals_.gateway.empty()) {
    if (gateway_bridge_ == nullptr) {
      ITSM_ASSIGN_OR_RETURN(gateway_bridge_,
                            GatewayBridge::Start({.url = globals_.gateway,
                                                  .api_key = globals_.api_key,
                                                  .ca_file = globals_.gateway_ca}));
    }
    return gateway_bridge_->Channel();
  }
  std::string address = globals_.address;
  if (address.empty()) {
    auto endpoints = Endpoints();
    if (!endpoints.ok()) return endpoints.status();
    for (const auto& s : endpoints->services()) {
      if (s.name() == service) address = s.grpc_address();
    }
    if (address.empty()) {
      return absl::NotFoundError(absl::StrCat("the suite runs no ", service, " service"));
    }
  }
  ITSM_ASSIGN_OR_RETURN(std::shared_ptr<runtime::OutboundIdentity> identity, SignedIdentity());
  ITSM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials, Credentials());
  return runtime::OutboundChannel(address, std::move(identity), std::move(credentials));
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Context::Credentials() const {
  if (credentials_ != nullptr) return credentials_;
  runtime::GrpcTlsFiles files{.cert_file = globals_.tls_cert_file,
                              .key_file = globals_.tls_key_file,
                              .ca_file = globals_.tls_ca_file};
  if (files.cert_file.empty() && files.key_file.empty() && files.ca_file.empty()) {
    // The launcher's client certificate, when the suite runs TLS (no endpoints file: plaintext,
    // with --address).
    if (auto endpoints = Endpoints(); endpoints.ok() && endpoints->has_tls()) {
      files = {.cert_file = endpoints->tls().client_cert_file(),
               .key_file = endpoints->tls().client_key_file(),
               .ca_file = endpoints->tls().ca_file()};
    }
  }
  absl::StatusOr<runtime::GrpcTls> tls = runtime::GrpcTls::FromFiles(files);
  if (!tls.ok()) {
    // The settings' names are the services'; itsmctl's flags are --tls-cert/--tls-key/--tls-ca.
    return absl::InvalidArgumentError(absl::StrCat(
        "itsmctl's TLS certificate (--tls-cert, --tls-key, --tls-ca): ", tls.status().message()));
  }
  credentials_ = tls->ChannelCredentials();
  return credentials_;
}

absl::StatusOr<std::string> Context::IdentityToken() const {
  if (!globals_.token.empty()) return globals_.token;
  ITSM_ASSIGN_OR_RETURN(std::shared_ptr<runtime::OutboundIdentity> identity, SignedIdentity());
  if (identity == nullptr) {
    return absl::NotFoundError(absl::StrCat("no signing key: ", globals_.endpoints_file,
                                            " names none (is the suite running?)"));
  }
  ITSM_ASSIGN_OR_RETURN(std::string header, identity->AuthorizationHeader());
  absl::string_view token = header;
  absl::ConsumePrefix(&token, "Bearer ");
  return std::string(token);
}

absl::StatusOr<std::shared_ptr<runtime::OutboundIdentity>> Context::SignedIdentity() const {
  if (identity_read_ || !globals_.token.empty()) return identity_;
  identity_read_ = true;
  auto endpoints = Endpoints();
  if (!endpoints.ok() || endpoints->auth().signing_key_file().empty()) return nullptr;
  const launcher::v1::LocalAuth& local = endpoints->auth();
  auth::Identity identity{.subject = globals_.actor};
  // These name API keys and the suite's own services, which the gateway and the services vouch
  // for: the key that signs people must not put their names in the audit trail.
  // Read as the gateway reads an identity provider's subjects (any case, width or look-alike).
  if (const std::string reserved =
          auth::ReservedNamespaceOf(identity.subject, {"apikey:", "service:"});
      !reserved.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--actor: \"", reserved,
                     "\" names API keys and the suite's services, never a person itsmctl "
                     "signs for (--actor alice, or local:alice)"));
  }
  if (identity.subject.empty()) {
    const char* user = std::getenv("USER");
    identity.subject = absl::StrCat("local:", user != nullptr && *user ? user : "operator");
  }
  for (absl::string_view name : absl::StrSplit(globals_.roles, ',', absl::SkipWhitespace())) {
    std::optional<auth::Role> role = auth::RoleFromName(absl::StripAsciiWhitespace(name));
    if (!role.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("--roles: unknown role \"", name, "\""));
    }
    identity.roles.Add(*role);
  }
  auto signed_identity = runtime::OutboundIdentity::FromKeyFile(
      local.signing_key_file(), local.issuer(), local.audience(), std::move(identity));
  if (!signed_identity.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot sign your identity with the suite's key (",
                     signed_identity.status().message(), "): pass --token"));
  }
  identity_ = *std::move(signed_identity);
  return identity_;
}

absl::StatusOr<std::string> Context::KafkaBootstrap() const {
  if (!globals_.bootstrap.empty()) return globals_.bootstrap;
  auto endpoints = Endpoints();
  if (!endpoints.ok()) return endpoints.status();
  return endpoints->kafka_bootstrap_servers();
}

std::unique_ptr<grpc::ClientContext> Context::NewCall() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  // The gateway bridge's own timeout (GatewayBridge::Options) stays under this.
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (!globals_.token.empty()) {
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", globals_.token));
  } else if (auto identity = SignedIdentity();
             !globals_.actor.empty() && identity.ok() && *identity == nullptr) {
    // Read only by a suite without authentication (one with it erases the header, and the
    // signed token names the actor). A header holds printable ASCII only, and gRPC aborts the
    // process on anything else: "jürgen" goes as "j%c3%bcrgen".
    std::string actor;
    for (const char c : globals_.actor) {
      if (c >= 0x20 && c < 0x7f && c != '%') {
        actor += c;
      } else {
        absl::StrAppend(&actor, "%", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
      }
    }
    ctx->AddMetadata("x-itsm-actor", actor);
  }
  return ctx;
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return absl::UnavailableError(
        absl::StrCat("service unavailable (is the suite running?): ", status.error_message()));
  }
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string ToJson(const google::protobuf::Message& message, bool indented) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = indented;
  // As the gateway answers: every scalar, list and map field, even at its default, so that a
  // script reads the same fields whatever their values (api.md).
  options.always_print_primitive_fields = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& given_rows) {
  // A row is one line: a newline or tab inside a cell (a multi-line workaround) is shown
  // escaped, as the terminal guard shows other control characters, never as a row of its own.
  std::vector<std::vector<std::string>> rows = given_rows;
  for (auto& row : rows) {
    for (std::string& cell : row) cell = absl::StrReplaceAll(cell, {{"\n", "\\n"}, {"\t", "\\t"}});
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = CharCount(header[c]);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], CharCount(row[c]));
    }
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < row.size() ? row[c] : "";
      line += cell;
      if (c + 1 < width.size()) line += std::string(width[c] - CharCount(cell) + 2, ' ');
    }
    std::printf("%s\n", std::string(absl::StripTrailingAsciiWhitespace(line)).c_str());
  };
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void PrintAuditTrail(const google::protobuf::RepeatedPtrField<common::v1::AuditEntry>& entries) {
  std::vector<TrailEntry> trail;
  trail.reserve(entries.size());
  for (const common::v1::AuditEntry& e : entries) trail.push_back({&e, ""});
  PrintAuditTrail(trail, /*with_subject=*/false);
}

void PrintAuditTrail(const std::vector<TrailEntry>& trail, bool with_subject) {
  constexpr size_t kValueChars = 40;
  std::vector<std::vector<std::string>> rows;
  for (const TrailEntry& t : trail) {
    const common::v1::AuditEntry& e = *t.entry;
    for (int c = 0; c < std::max(1, e.changes_size()); ++c) {
      const bool first = c == 0;
      std::vector<std::string> row = {first ? absl::StrCat(e.version()) : "",
                                      first ? When(e.time()) : "", first ? e.actor() : "",
                                      first ? e.action() : ""};
      if (with_subject) row.push_back(first ? t.subject : "");
      if (c < e.changes_size()) {
        row.push_back(e.changes(c).field());
        row.push_back(Clip(e.changes(c).old_value(), kValueChars));
        row.push_back(Clip(e.changes(c).new_value(), kValueChars));
      }
      rows.push_back(std::move(row));
    }
  }
  std::vector<std::string> header = {"VERSION", "TIME", "ACTOR", "ACTION"};
  if (with_subject) header.push_back("SUBJECT");
  for (const char* column : {"FIELD", "OLD", "NEW"}) header.push_back(column);
  PrintTable(header, rows);
}

}  // namespace itsm::ctl
