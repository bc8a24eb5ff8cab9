// itsmctl: the suite from a terminal. Reads the endpoints the launcher wrote
// (run/endpoints.json), prints tables (or --output json for scripts), and reports errors in one
// line with a non-zero exit code.
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "terminal_guard.h"

namespace {

constexpr char kUsage[] = R"(usage: itsmctl [global options] <command> ...

commands:
  status                                    health of every service of the running suite
  incident create --title T --impact 1-3 --urgency 1-3
           [--description D] [--service S] [--category C] [--caller C] [--group G]
           [--assignee A] [--ci ID]... [--major] [--idempotency-key K]
  incident get <id or number>
  incident list [--state S]... [--priority P1..P5]... [--group G] [--assignee A]
           [--service S] [--search TEXT] [--limit N] [--page-token T] [--all]
  incident update <id> [--title T] [--impact N] [--urgency N] [--ci ID]... [--parent INC] [--problem PRB] ...
  incident assign <id> [--group G] [--assignee A] | start|resume|reopen|close <id>
  incident hold <id> --reason awaiting_caller|awaiting_supplier|awaiting_change
  incident cancel <id> --reason R
  incident resolve <id> --code C --notes N | note|comment <id> --text T | notes|history <id>
  request create --item I [--for U] | get|history <id> | list | approve|reject|fulfilling|fulfilled|close|cancel <id> [--reason R]
  problem create --title T | get|history <id> | list|known-errors [--search TEXT]
  problem update <id> [--root-cause R] [--workaround W] | investigate|known-error|close <id> | cancel <id> --reason R
  problem resolve <id> --code C --notes N [--with-incidents]
  change create (--template T | [--type normal|emergency] --title T) [--ci ID]... [--service ID]...
           [--group G] [--assignee A] [--answer question=answer]... [--start T --end T]
  change get|history <id> | change list [--state S]... [--ci ID] [--service ID] [--group G]
  change assess <id> [--answer question=answer]... | approve|reject <id> [--comment C]
  change schedule <id> --start RFC3339 --end RFC3339 | override <id> --reason R
  change move <id> assess|authorise|scheduled|implement|review|closed|cancelled
           [--outcome successful|successful_with_issues|failed|backed_out] [--review R]
  change calendar|ics --from RFC3339 --to RFC3339 [--service ID] [--ci ID] [--group G]
  change release create --kind major|minor|emergency --title T [--change CHG]... [--start T --end T]
           [--group G] [--owner O] [--idempotency-key K] | release list [--state S]... [--change CHG]
  change release get|history <REL> | release move <REL> build|test|deploy|review|closed|cancelled
           [--notes N] | release changes <REL> [--change CHG]...   (the release's changes)
  change release deploy <REL> --env E [--ci ID]... [--start T --end T] [--notes N]
  change release deployment <REL> <n> start|complete|cancel [--outcome successful|failed|rolled_back]
  ci class list [--page-size N] | get <name> | create --name N [--parent P] [--abstract]
           [--attr name:string|int|bool|date|enum|reference[:required][:enum=a|b][:ref=class]]...
  ci create --class C --name N [--status planned|in_build|live] [--group G]
           [--criticality low|medium|high|critical] [--attr key=value]... [--idempotency-key K]
  ci get|retire <id or class/name>
  ci update <id or class/name> [--status S] [--group G] [--criticality C] [--name N] [--attr k=v]...
  ci list [--class C]... [--status S]... [--group G] [--search TEXT] [--limit N] [--all]
  ci rel add <source> depends_on|runs_on|connected_to|member_of <target>
  ci rel rm <relationship id> | ci rel list <ci>
  ci impact <ci> [--upstream] [--depth N] [--class C]... [--limit N]
  ci history <id> [--relationships]
  ci import <file.json>                     upsert CIs and relationships (discovery feeds)
  ci baseline create --name N (--root CI [--depth N] | --ci ID...)
  ci baseline list [--all] | ci baseline get|diff <name or id>
  events tail <topic> [--from-beginning] [--count N] [--timeout SECONDS]
  auth token                                a bearer token for you, valid 10 minutes (grpcurl, curl)
  auth keygen --dir DIR                     a token issuer's key and JWKS (the Helm chart's auth Secret)
  apikey create --name N --roles R[,R] [--description D] [--expires RFC3339]   secret shown once
  apikey list [--all] | apikey get <id> | apikey revoke <id>
  apikey history <id>                       who created, rotated and revoked it
  apikey rotate <id> [--grace 24h|7d]       a new secret; the old one works for the grace period
  outbox stats [--service NAME]             every service's outbox, or NAME's
  outbox republish [--service NAME] --from RFC3339 --to RFC3339 [--topic T] [--dead-letters]
  sla calendar create --name N --zone TZ [--hours "mon-fri 09:00-18:00"]... [--24x7]
           [--holiday YYYY-MM-DD[@HH:MM-HH:MM][=NAME]]... [--extra YYYY-MM-DD@HH:MM-HH:MM]...
  sla calendar get <id or name> [--version N] | sla calendar list
  sla calendar history <id or name>           who changed it, field by field
  sla definition create --name N [--kind sla|ola|uc] --service S... --calendar C
           --target P1:response=30m,resolve=4h... (resolve=2bd: 2 business days)
           [--day-rule end-of-day|same-time] [--thresholds 50,75,90] [--from T] [--until T]
           [--customer C] [--group G] [--supplier ID] [--zone-source definition|caller|ci]
           [--zone TZ] [--retroactive] [--measure-from start|creation] [--record-kind change]
  sla definition get <id> [--version N] | sla definition list [--service S] [--kind K] [--all]
  sla definition retire <id>                 its running and paused clocks are cancelled
  sla definition history <id>                who changed it, field by field
  sla due --service S --priority P1 [--clock response|resolution] [--start RFC3339]
          (or --definition ID --priority P, or --calendar C --target 4h)
          [--caller-zone TZ] [--ci-zone TZ] [--ci CI_ID: the zone of the CI's location]
  sla status <incident or request: id or number>
  sla explain <incident or request> [--clock ID] [--what-if-definition ID[@V]]
      [--what-if-calendar ID[@V]] [--json]
  sla report [--by service,priority,sla,period] [--period day|week|month] [--from T] [--to T]
          [--zone TZ] [--service S] [--priority P] [--definition ID] [--kind K]
  supplier create --name N [--category C] [--status prospective|active] [--risk low..critical]
           [--group G]... [--service S]... [--ci ID]... [--contact name:role[:email[:phone]]]...
           [--next-review YYYY-MM-DD] [--review-zone TZ] [--idempotency-key K]
  supplier get|history <id or number> | supplier list [--status S]... [--category C] [--search TEXT] [--group G]
  supplier contract create --supplier SUP --title T --start YYYY-MM-DD --end YYYY-MM-DD
           --type support|licence|outsourcing|maintenance|lease|consulting|other
           [--state draft|active] [--zone TZ] [--value 1200.50 --currency EUR]
           [--payment one_time|monthly|quarterly|annual] [--notice 3m|90d|1m15d]
           [--renewal automatic|explicit|none] [--renewal-term 12m] [--service S]... [--ci ID]...
           [--uc SLA_DEFINITION_ID]... [--party P]... [--document title=uri]...
  supplier contract get|history <id or number> | supplier contract list [--supplier SUP] [--state S]...
           [--service S] [--ends-before YYYY-MM-DD]
  supplier deadlines [--supplier SUP] [--due-before RFC3339]
  supplier review <supplier> --date YYYY-MM-DD [--participant P]... [--findings F]
           [--action "what|owner|YYYY-MM-DD"]... [--next YYYY-MM-DD]
  supplier scorecard <supplier> [--from YYYY-MM --to YYYY-MM] [--zone TZ]   months, total, trend
  supplier costs [--service S] [--from YYYY-MM --to YYYY-MM] [--csv]        cost per service and month
  supplier budget --service S --month YYYY-MM --amount 1000.00 --currency EUR

global options:
  --endpoints FILE    endpoints written by the launcher ($ITSM_ENDPOINTS, ./run/endpoints.json)
  --address HOST:PORT call this gRPC address instead of the one in the endpoints file
  --bootstrap SERVERS Kafka bootstrap servers instead of the endpoints file's
  --actor NAME        who you are: the subject of the token itsmctl signs with the suite's key
                      (default local:$USER; sent as x-itsm-actor to a suite without auth)
  --roles R1,R2       the roles of that token (default admin): e.g. --roles viewer (after
                      `apikey`, --roles are the new key's: apikey create --roles agent)
  --token JWT         present this bearer token instead ($ITSM_TOKEN), e.g. from your OIDC provider
  --gateway URL       through the REST gateway (http(s)://host:port; $ITSM_GATEWAY) instead of
                      the services' gRPC ports: every command but events, outbox and status
  --api-key KEY       the API key to present to the gateway ($ITSM_API_KEY: keeps it out of ps)
  --gateway-ca FILE   the CA certificate to verify an https gateway with (default: the system's)
  --tls-cert FILE --tls-key FILE --tls-ca FILE
                      itsmctl's client certificate, its key and the CA for a suite running mutual
                      TLS ($ITSM_GRPC_TLS_CERT_FILE, _KEY_FILE, _CA_FILE; default: the one the
                      launcher issued, named in the endpoints file)
  --output table|json
  Global options stand before the command or after it, never as a command option's value
  (--title "--gateway=x" is a title); `--` ends the options (itsmctl incident get -- "$ID").
)";

// 0, or 1 with a message when standard output could not be written (closed, a full disk): a
// key's secret is printed once, and output that never arrived is a failure, not a success.
int ExitAfterOutput() {
  if (itsm::ctl::StandardOutputWritten()) return 0;
  std::fprintf(stderr, "error: standard output could not be written (closed, or a full disk)\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  itsm::ctl::Globals globals;
  const char* env = std::getenv("ITSM_ENDPOINTS");
  globals.endpoints_file = env && *env ? env : "run/endpoints.json";
  if (const char* token = std::getenv("ITSM_TOKEN"); token != nullptr) globals.token = token;
  if (const char* url = std::getenv("ITSM_GATEWAY"); url != nullptr) globals.gateway = url;
  if (const char* key = std::getenv("ITSM_API_KEY"); key != nullptr) globals.api_key = key;
  for (auto [variable, file] : {std::pair{"ITSM_GRPC_TLS_CERT_FILE", &globals.tls_cert_file},
                                std::pair{"ITSM_GRPC_TLS_KEY_FILE", &globals.tls_key_file},
                                std::pair{"ITSM_GRPC_TLS_CA_FILE", &globals.tls_ca_file}}) {
    if (const char* value = std::getenv(variable); value != nullptr) *file = value;
  }
  itsm::ctl::GuardStandardOutput();
  absl::StatusOr<std::vector<std::string>> rest =
      itsm::ctl::ReadGlobalOptions({argv + 1, argv + argc}, globals);
  if (!rest.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(rest.status().message()).c_str());
    return 2;
  }
  if (rest->empty()) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  if ((*rest)[0] == "-h" || (*rest)[0] == "--help" || (*rest)[0] == "help") {
    std::printf("%s", kUsage);
    return ExitAfterOutput();
  }
  const itsm::ctl::Context ctx(globals);
  const std::string command = (*rest)[0];
  const std::vector<std::string> args(rest->begin() + 1, rest->end());
  absl::Status status;
  // These read Kafka and the services' ports themselves (the outbox's admin RPCs have no REST
  // route): asked for through the gateway (and its API key), they must not quietly go elsewhere
  // without it, nor answer for no service at all.
  if (!globals.gateway.empty() &&
      (command == "events" || command == "status" || command == "outbox")) {
    std::fprintf(stderr,
                 "error: %s is not served through the gateway: run it without --gateway (and "
                 "ITSM_GATEWAY) where the suite's endpoints file is\n",
                 command.c_str());
    return 1;
  }
  if (command == "incident") {
    status = itsm::ctl::RunIncident(ctx, args);
  } else if (command == "request") {
    status = itsm::ctl::RunRequest(ctx, args);
  } else if (command == "problem") {
    status = itsm::ctl::RunProblem(ctx, args);
  } else if (command == "events") {
    status = itsm::ctl::RunEvents(ctx, args);
  } else if (command == "outbox") {
    status = itsm::ctl::RunOutbox(ctx, args);
  } else if (command == "change") {
    status = itsm::ctl::RunChange(ctx, args);
  } else if (command == "sla") {
    status = itsm::ctl::RunSla(ctx, args);
  } else if (command == "supplier") {
    status = itsm::ctl::RunSupplier(ctx, args);
  } else if (command == "ci") {
    status = itsm::ctl::RunConfig(ctx, args);
  } else if (command == "status") {
    status = itsm::ctl::RunStatus(ctx, args);
  } else if (command == "auth") {
    status = itsm::ctl::RunAuth(ctx, args);
  } else if (command == "apikey") {
    status = itsm::ctl::RunApiKey(ctx, args);
  } else {
    status =
        absl::InvalidArgumentError(absl::StrCat("unknown command \"", command, "\" (see --help)"));
  }
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(status.message()).c_str());
    return status.code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  return ExitAfterOutput();
}
