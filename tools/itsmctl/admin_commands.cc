#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "commands.h"
#include "google/protobuf/struct.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/outbox/v1/outbox_admin.grpc.pb.h"

namespace itsm::ctl {
namespace {

absl::StatusOr<absl::Time> ParseTime(const Args& args, const std::string& name) {
  if (!args.Has(name)) return absl::InvalidArgumentError(absl::StrCat("--", name, ": required"));
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, args.Get(name), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": expected RFC 3339 like 2026-11-21T10:00:00Z: ", err));
  }
  return t;
}

std::vector<std::string> StatsRow(const std::string& service,
                                  const outbox::v1::GetOutboxStatsResponse& stats) {
  return {service, absl::StrCat(stats.pending_events()), absl::StrCat(stats.published_events()),
          absl::StrCat(stats.dead_letter_events()),
          stats.has_oldest_pending_time()
              ? base::FormatRfc3339(base::FromProtoTimestamp(stats.oldest_pending_time()))
              : "-"};
}

const std::vector<std::string> kStatsHeader = {"SERVICE", "PENDING", "PUBLISHED (RETAINED)",
                                               "DEAD LETTERS", "OLDEST PENDING"};

// Every service of the endpoints file that keeps an outbox: one row each, so that "stats" alone
// answers for the suite rather than for one service it does not name. One that cannot answer
// now is a row saying why; one without an outbox (the gateway) is left out.
absl::Status SuiteStats(const Context& ctx) {
  ITSM_ASSIGN_OR_RETURN(auto endpoints, ctx.Endpoints());
  std::vector<std::vector<std::string>> rows;
  std::string json;
  for (const auto& s : endpoints.services()) {
    ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor(s.name()));
    outbox::v1::GetOutboxStatsResponse stats;
    const grpc::Status status = outbox::v1::OutboxAdminService::NewStub(channel)->GetOutboxStats(
        ctx.NewCall().get(), {}, &stats);
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) continue;
    if (!status.ok()) {
      const std::string why = FromGrpc(status).ToString();
      rows.push_back({s.name(), "-", "-", "-", why});
      google::protobuf::Value error;
      error.set_string_value(why);
      absl::StrAppend(&json, json.empty() ? "" : ",", "\"", s.name(),
                      "\":{\"error\":", ToJson(error, false), "}");
      continue;
    }
    rows.push_back(StatsRow(s.name(), stats));
    absl::StrAppend(&json, json.empty() ? "" : ",", "\"", s.name(), "\":", ToJson(stats, false));
  }
  if (ctx.globals().json) {
    std::printf("{%s}\n", json.c_str());
  } else {
    PrintTable(kStatsHeader, rows);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunOutbox(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl outbox stats [--service NAME] | republish [--service NAME] --from T --to T"
        " [--topic T] [--dead-letters]");
  }
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"dead-letters"}));
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"service", "from", "to", "topic", "dead-letters"}));
  if (argv[0] == "stats" && !args.Has("service")) return SuiteStats(ctx);
  const std::string service = args.Get("service", "incident");
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor(service));
  auto stub = outbox::v1::OutboxAdminService::NewStub(channel);
  if (argv[0] == "stats") {
    outbox::v1::GetOutboxStatsResponse response;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetOutboxStats(ctx.NewCall().get(), {}, &response)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(response).c_str());
    } else {
      PrintTable(kStatsHeader, {StatsRow(service, response)});
    }
    return absl::OkStatus();
  }
  if (argv[0] == "republish") {
    outbox::v1::RepublishEventsRequest request;
    ITSM_ASSIGN_OR_RETURN(absl::Time from, ParseTime(args, "from"));
    ITSM_ASSIGN_OR_RETURN(absl::Time to, ParseTime(args, "to"));
    *request.mutable_start_time() = base::ToProtoTimestamp(from);
    *request.mutable_end_time() = base::ToProtoTimestamp(to);
    request.set_topic(args.Get("topic"));
    request.set_dead_letters(args.Has("dead-letters"));
    outbox::v1::RepublishEventsResponse response;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->RepublishEvents(ctx.NewCall().get(), request, &response)));
    std::printf("%lld events queued for re-publishing\n",
                static_cast<long long>(response.republished_events()));
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown outbox command \"", argv[0], "\""));
}

absl::Status RunStatus(const Context& ctx, const std::vector<std::string>& argv) {
  if (!argv.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected \"", argv[0], "\": status takes no words or options"));
  }
  ITSM_ASSIGN_OR_RETURN(auto endpoints, ctx.Endpoints());
  ITSM_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials, ctx.Credentials());
  std::vector<std::vector<std::string>> rows;
  bool all_serving = true;
  for (const auto& s : endpoints.services()) {
    auto channel = grpc::CreateChannel(s.grpc_address(), credentials);
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = stub->Check(ctx.NewCall().get(), {}, &response);
    const std::string health =
        status.ok() ? grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
                    : "UNREACHABLE";
    all_serving &= health == "SERVING";
    rows.push_back({s.name(), health, s.grpc_address(), s.metrics_url(), std::to_string(s.pid())});
  }
  rows.push_back({"kafka", "-", endpoints.kafka_bootstrap_servers(), "", ""});
  rows.push_back({"redis", "-", endpoints.redis_address(), "", ""});
  if (ctx.globals().json) {
    // The endpoints as the launcher wrote them, each service with its health; names in
    // lowerCamelCase as every --output json prints them.
    google::protobuf::Struct out;
    auto* services = (*out.mutable_fields())["services"].mutable_list_value();
    for (int i = 0; i < endpoints.services_size(); ++i) {
      auto& fields = *services->add_values()->mutable_struct_value()->mutable_fields();
      fields["name"].set_string_value(rows[i][0]);
      fields["health"].set_string_value(rows[i][1]);
      fields["grpcAddress"].set_string_value(rows[i][2]);
      fields["metricsUrl"].set_string_value(rows[i][3]);
      fields["pid"].set_number_value(endpoints.services(i).pid());
    }
    (*out.mutable_fields())["kafkaBootstrapServers"].set_string_value(
        endpoints.kafka_bootstrap_servers());
    (*out.mutable_fields())["redisAddress"].set_string_value(endpoints.redis_address());
    std::printf("%s", ToJson(out).c_str());
  } else {
    PrintTable({"SERVICE", "HEALTH", "ADDRESS", "METRICS", "PID"}, rows);
  }
  if (!all_serving) return absl::UnavailableError("not every service is serving");
  return absl::OkStatus();
}

}  // namespace itsm::ctl
