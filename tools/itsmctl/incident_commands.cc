#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/incident/v1/incident.grpc.pb.h"

namespace itsm::ctl {
namespace {

using incident::v1::Incident;

std::string StateName(incident::v1::IncidentState s) {
  return EnumWord(incident::v1::IncidentState_Name(s), "INCIDENT_STATE_");
}

std::string PriorityName(incident::v1::Priority p) {
  return absl::AsciiStrToUpper(EnumWord(incident::v1::Priority_Name(p), "PRIORITY_"));
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
    return absl::InvalidArgumentError(
        absl::StrCat("--state: unknown state \"", s,
                     "\" (new, assigned, in_progress, on_hold, resolved, closed, cancelled)"));
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
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown({"title", "description", "impact", "urgency", "caller", "service", "category",
                      "group", "assignee", "ci", "major", "not-major", "idempotency-key"}));
  if (args.Has("major") && args.Has("not-major")) {
    return absl::InvalidArgumentError("--major and --not-major (or --major=false): give one");
  }
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
      {"number", i.number()},
      {"id", i.id()},
      {"title", i.title()},
      {"state", StateName(i.state())},
      {"priority", PriorityName(i.priority())},
      {"impact/urgency", absl::StrCat(i.impact(), "/", i.urgency())},
      {"service", i.service()},
      {"category", i.category()},
      {"caller", i.caller()},
      {"group", i.assignment_group()},
      {"assignee", i.assignee()},
      {"major", i.major_incident() ? "yes" : "no"},
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

// The version to send: --version when given, else the one stored now (read-modify-write from the
// command line; a change in between is still refused with ABORTED).
absl::StatusOr<int64_t> VersionFor(const Context& ctx, incident::v1::IncidentService::Stub& stub,
                                   const Args& args, const std::string& id) {
  ITSM_ASSIGN_OR_RETURN(int64_t given, args.GetVersion());
  if (given > 0) return given;
  incident::v1::GetIncidentRequest request;
  request.set_id(id);
  incident::v1::GetIncidentResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub.GetIncident(ctx.NewCall().get(), request, &response)));
  return response.incident().version();
}

absl::Status PrintChanged(const Context& ctx, const Incident& i) {
  if (ctx.globals().json) {
    std::printf("%s", ToJson(i).c_str());
  } else {
    std::printf("%s: %s, %s, version %lld\n", i.number().c_str(), StateName(i.state()).c_str(),
                PriorityName(i.priority()).c_str(), static_cast<long long>(i.version()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OneId(const Args& args, const std::string& usage) {
  if (args.positionals().size() != 1) return absl::InvalidArgumentError("usage: " + usage);
  return args.positionals()[0];
}

absl::Status Update(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown({"version", "title", "description", "impact", "urgency", "caller", "service",
                      "category", "ci", "parent", "problem", "change", "major", "not-major"}));
  ITSM_ASSIGN_OR_RETURN(std::string id,
                        OneId(args, "itsmctl incident update <id> --field value..."));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::UpdateIncidentRequest request;
  auto* i = request.mutable_incident();
  i->set_id(id);
  auto* mask = request.mutable_update_mask();
  for (const auto& [flag, path] :
       std::vector<std::pair<std::string, std::string>>{{"title", "title"},
                                                        {"description", "description"},
                                                        {"caller", "caller"},
                                                        {"service", "service"},
                                                        {"category", "category"},
                                                        {"parent", "parent_incident_id"},
                                                        {"problem", "problem_id"}}) {
    if (!args.Has(flag)) continue;
    const auto* f = i->GetDescriptor()->FindFieldByName(path);
    i->GetReflection()->SetString(i, f, args.Get(flag));
    mask->add_paths(path);
  }
  if (args.Has("impact")) {
    ITSM_ASSIGN_OR_RETURN(int v, args.GetInt("impact", 0));
    i->set_impact(v);
    mask->add_paths("impact");
  }
  if (args.Has("urgency")) {
    ITSM_ASSIGN_OR_RETURN(int v, args.GetInt("urgency", 0));
    i->set_urgency(v);
    mask->add_paths("urgency");
  }
  if (args.Has("ci")) {
    for (const auto& ci : args.GetAll("ci")) i->add_configuration_item_ids(ci);
    mask->add_paths("configuration_item_ids");
  }
  if (args.Has("change")) {
    for (const auto& c : args.GetAll("change")) i->add_change_ids(c);
    mask->add_paths("change_ids");
  }
  if (args.Has("major") && args.Has("not-major")) {
    return absl::InvalidArgumentError("--major and --not-major (or --major=false): give one");
  }
  if (args.Has("major") || args.Has("not-major")) {
    i->set_major_incident(args.Has("major"));
    mask->add_paths("major_incident");
  }
  ITSM_ASSIGN_OR_RETURN(int64_t version, VersionFor(ctx, *stub, args, id));
  i->set_version(version);
  incident::v1::UpdateIncidentResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->UpdateIncident(ctx.NewCall().get(), request, &response)));
  return PrintChanged(ctx, response.incident());
}

absl::Status Assign(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"version", "group", "assignee"}));
  ITSM_ASSIGN_OR_RETURN(std::string id,
                        OneId(args, "itsmctl incident assign <id> [--group G] [--assignee A]"));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::AssignIncidentRequest request;
  request.set_id(id);
  request.set_assignment_group(args.Get("group"));
  request.set_assignee(args.Get("assignee"));
  ITSM_ASSIGN_OR_RETURN(int64_t version, VersionFor(ctx, *stub, args, id));
  request.set_version(version);
  incident::v1::AssignIncidentResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->AssignIncident(ctx.NewCall().get(), request, &response)));
  return PrintChanged(ctx, response.incident());
}

// start, hold, resume, resolve, close, reopen, cancel: one TransitionIncident each.
absl::Status Move(const Context& ctx, const std::string& verb, const Args& args) {
  // Only what the move keeps: a --reason given to start would be lost unsaid.
  ITSM_RETURN_IF_ERROR(args.OnlyKnown(
      verb == "hold" || verb == "cancel" ? std::vector<std::string>{"version", "reason"}
      : verb == "resolve"                ? std::vector<std::string>{"version", "code", "notes"}
                                         : std::vector<std::string>{"version"}));
  ITSM_ASSIGN_OR_RETURN(std::string id, OneId(args, "itsmctl incident " + verb + " <id> ..."));
  using namespace incident::v1;
  const std::map<std::string, IncidentState> targets = {
      {"start", INCIDENT_STATE_IN_PROGRESS},  {"resume", INCIDENT_STATE_IN_PROGRESS},
      {"reopen", INCIDENT_STATE_IN_PROGRESS}, {"hold", INCIDENT_STATE_ON_HOLD},
      {"resolve", INCIDENT_STATE_RESOLVED},   {"close", INCIDENT_STATE_CLOSED},
      {"cancel", INCIDENT_STATE_CANCELLED}};
  TransitionIncidentRequest request;
  request.set_id(id);
  request.set_target_state(targets.at(verb));
  if (verb == "hold") {
    HoldReason reason;
    if (!HoldReason_Parse("HOLD_REASON_" + absl::AsciiStrToUpper(args.Get("reason")), &reason) ||
        reason == HOLD_REASON_UNSPECIFIED) {
      return absl::InvalidArgumentError(
          "--reason: awaiting_caller, awaiting_supplier or awaiting_change");
    }
    request.set_hold_reason(reason);
  }
  if (verb == "cancel") request.set_cancel_reason(args.Get("reason"));
  request.set_resolution_code(args.Get("code"));
  request.set_resolution_notes(args.Get("notes"));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = IncidentService::NewStub(channel);
  ITSM_ASSIGN_OR_RETURN(int64_t version, VersionFor(ctx, *stub, args, id));
  request.set_version(version);
  TransitionIncidentResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->TransitionIncident(ctx.NewCall().get(), request, &response)));
  return PrintChanged(ctx, response.incident());
}

absl::Status Note(const Context& ctx, bool work_note, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"text"}));
  ITSM_ASSIGN_OR_RETURN(std::string id, OneId(args, "itsmctl incident note|comment <id> --text T"));
  incident::v1::AddIncidentNoteRequest request;
  request.set_id(id);
  request.set_text(args.Get("text"));
  request.set_visibility(work_note ? incident::v1::NOTE_VISIBILITY_WORK_NOTE
                                   : incident::v1::NOTE_VISIBILITY_COMMENT);
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::AddIncidentNoteResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->AddIncidentNote(ctx.NewCall().get(), request, &response)));
  return PrintChanged(ctx, response.incident());
}

absl::Status Notes(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
  ITSM_ASSIGN_OR_RETURN(std::string id, OneId(args, "itsmctl incident notes <id>"));
  incident::v1::ListIncidentNotesRequest request;
  request.set_id(id);
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::ListIncidentNotesResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListIncidentNotes(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& n : response.notes()) {
    rows.push_back(
        {When(n.create_time()), n.author(),
         n.visibility() == incident::v1::NOTE_VISIBILITY_WORK_NOTE ? "work note" : "comment",
         n.text()});
  }
  PrintTable({"TIME", "AUTHOR", "KIND", "TEXT"}, rows);
  return absl::OkStatus();
}

}  // namespace

// Shared by incident, request and problem: the audit trail of any record.
absl::Status PrintHistory(const Context& ctx, const std::string& id) {
  incident::v1::GetHistoryRequest request;
  request.set_id(id);
  request.mutable_page()->set_page_size(1000);
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  incident::v1::GetHistoryResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetHistory(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
    return absl::OkStatus();
  }
  PrintAuditTrail(response.entries());
  return absl::OkStatus();
}

namespace {}  // namespace

absl::Status RunIncident(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl incident create|get|list|update|assign|start|hold|resume|resolve|close|"
        "reopen|cancel|note|comment|notes|history ...");
  }
  ITSM_ASSIGN_OR_RETURN(Args args,
                        Args::Parse({argv.begin() + 1, argv.end()}, {"major", "not-major", "all"}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  if (argv[0] == "create") return Create(ctx, args);
  if (argv[0] == "get") return Get(ctx, args);
  if (argv[0] == "list") return List(ctx, args);
  if (argv[0] == "update") return Update(ctx, args);
  if (argv[0] == "assign") return Assign(ctx, args);
  for (const char* verb : {"start", "hold", "resume", "resolve", "close", "reopen", "cancel"}) {
    if (argv[0] == verb) return Move(ctx, verb, args);
  }
  if (argv[0] == "note") return Note(ctx, true, args);
  if (argv[0] == "comment") return Note(ctx, false, args);
  if (argv[0] == "notes") return Notes(ctx, args);
  if (argv[0] == "history") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    ITSM_ASSIGN_OR_RETURN(std::string id, OneId(args, "itsmctl incident history <id>"));
    return PrintHistory(ctx, id);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown incident command \"", argv[0], "\""));
}

}  // namespace itsm::ctl
