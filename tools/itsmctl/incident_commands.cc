#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/incident.grpc.pb.h"

namespace itsm::ctl {
namespace {

using incident::v1::Incident;

std::string ShortEnum(const std::string& name, const std::string& prefix) {
  return absl::AsciiStrToLower(name.substr(prefix.size()));
}

std::string StateName(incident::v1::IncidentState s) {
  return ShortEnum(incident::v1::IncidentState_Name(s), "INCIDENT_STATE_");
}

std::string PriorityName(incident::v1::Priority p) {
  return absl::AsciiStrToUpper(ShortEnum(incident::v1::Priority_Name(p), "PRIORITY_"));
}

std::string When(const google::protobuf::Timestamp& ts) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", base::FromProtoTimestamp(ts), absl::LocalTimeZone());
}

void PrintIncidents(const std::vector<Incident>& incidents) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : incidents) {
    rows.push_back({i.number(), PriorityName(i.priority()), StateName(i.state()), i.title(),
                    i.assignment_group(), i.assignee(), When(i.create_time())});
  }
  PrintTable({"NUMBER", "PRIORITY", "STATE", "TITLE", "GROUP", "ASSIGNEE", "CREATED"}, rows);
}

absl::StatusOr<incident::v1::IncidentState> ParseState(const std::string& s) {
  incident::v1::IncidentState state;
  if (!incident::v1::IncidentState_Parse("INCIDENT_STATE_" + absl::AsciiStrToUpper(s), &state) ||
      state == incident::v1::INCIDENT_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--state: unknown state \"", s, "\" (new, assigned, in_progress, on_hold, resolved, closed, cancelled)"));
  }
  return state;
}

absl::StatusOr<incident::v1::Priority> ParsePriority(const std::string& s) {
  incident::v1::Priority p;
  if (!incident::v1::Priority_Parse("PRIORITY_" + absl::AsciiStrToUpper(s), &p) ||
      p == incident::v1::PRIORITY_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat("--priority: expected P1..P5, got \"", s, "\""));
  }
  return p;
}

absl::Status Create(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"title", "description", "impact", "urgency", "caller",
                                       "service", "category", "group", "assignee", "ci", "major",
                                       "idempotency-key"}));
  incident::v1::CreateIncidentRequest request;
  request.set_title(args.Get("title"));
  request.set_description(args.Get("description"));
  ITSM_ASSIGN_OR_RETURN(int impact, args.GetInt("impact", 0));
  ITSM_ASSIGN_OR_RETURN(int urgency, args.GetInt("urgency", 0));
  request.set_impact(impact);
  request.set_urgency(urgency);
  request.set_caller(args.Get("caller"));
  request.set_service(args.Get("service"));
  request.set_category(args.Get("category"));
  request.set_assignment_group(args.Get("group"));
  request.set_assignee(args.Get("assignee"));
  for (const auto& ci : args.GetAll("ci")) request.add_configuration_item_ids(ci);
  request.set_major_incident(args.Has("major"));
  request.set_idempotency_key(args.Get("idempotency-key"));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::CreateIncidentResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateIncident(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response.incident()).c_str());
  } else {
    std::printf("created %s (%s, %s)  id %s\n", response.incident().number().c_str(),
                PriorityName(response.incident().priority()).c_str(),
                StateName(response.incident().state()).c_str(), response.incident().id().c_str());
  }
  return absl::OkStatus();
}

absl::Status Get(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError("usage: itsmctl incident get <id or number>");
  }
  incident::v1::GetIncidentRequest request;
  request.set_id(args.positionals()[0]);
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::GetIncidentResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetIncident(ctx.NewCall().get(), request, &response)));
  const Incident& i = response.incident();
  if (ctx.globals().json) {
    std::printf("%s", ToJson(i).c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"number", i.number()},       {"id", i.id()},
      {"title", i.title()},         {"state", StateName(i.state())},
      {"priority", PriorityName(i.priority())},
      {"impact/urgency", absl::StrCat(i.impact(), "/", i.urgency())},
      {"service", i.service()},     {"category", i.category()},
      {"caller", i.caller()},       {"group", i.assignment_group()},
      {"assignee", i.assignee()},   {"major", i.major_incident() ? "yes" : "no"},
      {"created", When(i.create_time()) + " by " + i.created_by()},
      {"updated", When(i.update_time())},
      {"version", absl::StrCat(i.version())},
      {"description", i.description()}};
  PrintTable({"FIELD", "VALUE"}, rows);
  return absl::OkStatus();
}

absl::Status List(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"state", "priority", "group", "assignee", "service",
                                       "search", "limit", "page-token", "all"}));
  incident::v1::ListIncidentsRequest request;
  for (const auto& s : args.GetAll("state")) {
    ITSM_ASSIGN_OR_RETURN(auto state, ParseState(s));
    request.add_states(state);
  }
  for (const auto& p : args.GetAll("priority")) {
    ITSM_ASSIGN_OR_RETURN(auto priority, ParsePriority(p));
    request.add_priorities(priority);
  }
  request.set_assignment_group(args.Get("group"));
  request.set_assignee(args.Get("assignee"));
  request.set_service(args.Get("service"));
  request.set_title_contains(args.Get("search"));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
  request.mutable_page()->set_page_size(limit);
  request.mutable_page()->set_page_token(args.Get("page-token"));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  std::vector<Incident> all;
  std::string next;
  do {
    incident::v1::ListIncidentsResponse response;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListIncidents(ctx.NewCall().get(), request, &response)));
    all.insert(all.end(), response.incidents().begin(), response.incidents().end());
    next = response.next_page_token();
    request.mutable_page()->set_page_token(next);
  } while (args.Has("all") && !next.empty());
  if (ctx.globals().json) {
    incident::v1::ListIncidentsResponse out;
    for (auto& i : all) *out.add_incidents() = i;
    out.set_next_page_token(next);
    std::printf("%s", ToJson(out).c_str());
    return absl::OkStatus();
  }
  PrintIncidents(all);
  if (!next.empty()) std::printf("more: --page-token %s\n", next.c_str());
  return absl::OkStatus();
}

}  // namespace

absl::Status RunIncident(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("usage: itsmctl incident create|get|list ...");
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"major", "all"}));
  if (argv[0] == "create") return Create(ctx, args);
  if (argv[0] == "get") return Get(ctx, args);
  if (argv[0] == "list") return List(ctx, args);
  return absl::InvalidArgumentError(absl::StrCat("unknown incident command \"", argv[0], "\""));
}

}  // namespace itsm::ctl
