// itsmctl change ...: change requests from a template or from scratch, their risk assessment,
// approvals, schedule and conflicts, the change calendar as a table or an iCalendar file, and
// releases with their deployments (itsmctl change release ...).
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/change/v1/change.grpc.pb.h"
#include "terminal_guard.h"

namespace itsm::ctl {
namespace {

namespace v1 = change::v1;
using Stub = v1::ChangeService::Stub;

std::string StateOf(const v1::Change& c) {
  return EnumWord(v1::ChangeState_Name(c.state()), "CHANGE_STATE_");
}
std::string RiskOf(const v1::Change& c) {
  return EnumWord(v1::RiskLevel_Name(c.risk().level()), "RISK_LEVEL_");
}
absl::StatusOr<google::protobuf::Timestamp> TimeFlag(const Args& args, const std::string& name) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, args.Get(name), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, ": expected RFC 3339 (2026-01-31T22:00:00Z), got \"", args.Get(name), "\""));
  }
  return base::ToProtoTimestamp(t);
}

absl::Status AddAnswers(const Args& args,
                        google::protobuf::RepeatedPtrField<v1::RiskAnswer>* answers) {
  for (const std::string& a : args.GetAll("answer")) {
    std::vector<std::string> parts = absl::StrSplit(a, absl::MaxSplits('=', 1));
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("--answer: expected question=answer, got \"", a, "\""));
    }
    v1::RiskAnswer* r = answers->Add();
    r->set_question_id(parts[0]);
    r->set_answer_id(parts[1]);
  }
  return absl::OkStatus();
}

class ChangeClient {
 public:
  static absl::StatusOr<ChangeClient> Open(const Context& ctx) {
    ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("change"));
    return ChangeClient(ctx, v1::ChangeService::NewStub(channel));
  }
  template <typename Req, typename Resp>
  absl::Status Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& request, Resp* response) {
    return FromGrpc((stub_.get()->*method)(ctx_->NewCall().get(), request, response));
  }
  absl::StatusOr<v1::Change> Get(const std::string& id) {
    v1::GetChangeRequest r;
    r.set_id(id);
    v1::GetChangeResponse out;
    ITSM_RETURN_IF_ERROR(Call(&Stub::GetChange, r, &out));
    return out.change();
  }

 private:
  ChangeClient(const Context& ctx, std::unique_ptr<Stub> stub)
      : ctx_(&ctx), stub_(std::move(stub)) {}
  const Context* ctx_;
  std::shared_ptr<Stub> stub_;
};

void PrintConflicts(const v1::Change& c) {
  for (const v1::Conflict& k : c.conflicts()) {
    std::printf("  conflict %-28s %s\n",
                EnumWord(v1::ConflictKind_Name(k.kind()), "CONFLICT_KIND_").c_str(),
                k.reason().c_str());
  }
  if (!c.conflict_override_reason().empty()) {
    std::printf("  overridden by %s: %s\n", c.conflict_override_by().c_str(),
                c.conflict_override_reason().c_str());
  }
}

void Show(const Context& ctx, const v1::Change& c) {
  if (ctx.globals().json) {
    std::printf("%s", ToJson(c).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"number", c.number()},
      {"id", c.id()},
      {"type", EnumWord(v1::ChangeType_Name(c.type()), "CHANGE_TYPE_")},
      {"title", c.title()},
      {"state", StateOf(c)},
      {"risk", absl::StrCat(RiskOf(c), " (score ", c.risk().score(), ")")},
      {"approval",
       absl::StrCat(EnumWord(v1::ApprovalOutcome_Name(c.approval().outcome()), "APPROVAL_OUTCOME_"),
                    c.approval().policy_name().empty() ? "" : " — " + c.approval().policy_name())},
      {"cis", absl::StrJoin(c.configuration_item_ids(), ", ")},
      {"services", absl::StrJoin(c.affected_service_ids(), ", ")},
      {"planned", c.has_planned_start_time()
                      ? When(c.planned_start_time()) + " .. " + When(c.planned_end_time())
                      : ""},
      {"group", c.assignment_group()},
      {"assignee", c.assignee()},
      {"version", absl::StrCat(c.version())}};
  PrintTable({"FIELD", "VALUE"}, rows);
  for (const v1::RiskFactor& f : c.risk().factors()) {
    std::printf("  risk %+6.2f  %s: %s\n", f.contribution(), f.factor().c_str(),
                f.detail().c_str());
  }
  for (const v1::ApprovalVote& v : c.approval().votes()) {
    std::printf("  level %d %s %s: %s\n", v.level() + 1, v.approver().c_str(),
                EnumWord(v1::ApprovalDecision_Name(v.decision()), "APPROVAL_DECISION_").c_str(),
                v.comment().c_str());
  }
  PrintConflicts(c);
  for (const v1::CausedIncident& l : c.caused_incidents()) {
    std::printf("  caused incident %s (possibly): %s\n",
                (l.incident_number().empty() ? l.incident_id() : l.incident_number()).c_str(),
                l.reason().c_str());
  }
}

absl::Status Create(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"template", "type", "title", "description", "category",
                                       "reason", "ci", "service", "group", "assignee", "answer",
                                       "start", "end", "idempotency-key"}));
  v1::CreateChangeRequest r;
  r.set_template_id(args.Get("template"));
  if (args.Has("type")) {
    v1::ChangeType type;
    if (!v1::ChangeType_Parse("CHANGE_TYPE_" + absl::AsciiStrToUpper(args.Get("type")), &type)) {
      return absl::InvalidArgumentError("--type: standard, normal or emergency");
    }
    r.set_type(type);
  } else if (r.template_id().empty()) {
    r.set_type(v1::CHANGE_TYPE_NORMAL);
  }
  r.set_title(args.Get("title"));
  r.set_description(args.Get("description"));
  r.set_category(args.Get("category"));
  r.set_reason(args.Get("reason"));
  for (const auto& ci : args.GetAll("ci")) r.add_configuration_item_ids(ci);
  for (const auto& s : args.GetAll("service")) r.add_affected_service_ids(s);
  r.set_assignment_group(args.Get("group"));
  r.set_assignee(args.Get("assignee"));
  ITSM_RETURN_IF_ERROR(AddAnswers(args, r.mutable_risk_answers()));
  if (args.Has("start")) {
    ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_start_time(), TimeFlag(args, "start"));
  }
  if (args.Has("end")) {
    ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_end_time(), TimeFlag(args, "end"));
  }
  r.set_idempotency_key(args.Get("idempotency-key"));
  ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
  v1::CreateChangeResponse out;
  ITSM_RETURN_IF_ERROR(client.Call(&Stub::CreateChange, r, &out));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(out.change()).c_str());
  } else {
    std::printf("created %s (%s, risk %s)  id %s\n", out.change().number().c_str(),
                StateOf(out.change()).c_str(), RiskOf(out.change()).c_str(),
                out.change().id().c_str());
  }
  return absl::OkStatus();
}

absl::Status List(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"state", "ci", "service", "group", "assignee", "limit"}));
  v1::ListChangesRequest r;
  for (const auto& s : args.GetAll("state")) {
    v1::ChangeState state;
    if (!v1::ChangeState_Parse("CHANGE_STATE_" + absl::AsciiStrToUpper(s), &state)) {
      return absl::InvalidArgumentError(absl::StrCat("--state: unknown state \"", s, "\""));
    }
    r.add_states(state);
  }
  r.set_configuration_item_id(args.Get("ci"));
  r.set_service_id(args.Get("service"));
  r.set_assignment_group(args.Get("group"));
  r.set_assignee(args.Get("assignee"));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
  r.mutable_page()->set_page_size(limit);
  ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
  v1::ListChangesResponse out;
  ITSM_RETURN_IF_ERROR(client.Call(&Stub::ListChanges, r, &out));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(out).c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : out.changes()) {
    rows.push_back({c.number(), EnumWord(v1::ChangeType_Name(c.type()), "CHANGE_TYPE_"), StateOf(c),
                    RiskOf(c), c.title(), c.assignment_group(),
                    c.has_planned_start_time() ? When(c.planned_start_time()) : "",
                    absl::StrCat(c.conflicts_size())});
  }
  PrintTable({"NUMBER", "TYPE", "STATE", "RISK", "TITLE", "GROUP", "PLANNED", "CONFLICTS"}, rows);
  return absl::OkStatus();
}

// A write on one change: reads its version first, so that the command line needs no version.
template <typename Req, typename Resp>
absl::Status Write(const Context& ctx, const std::string& id,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&, Resp*), Req r) {
  ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
  ITSM_ASSIGN_OR_RETURN(v1::Change current, client.Get(id));
  r.set_id(current.id());
  r.set_version(current.version());
  Resp out;
  ITSM_RETURN_IF_ERROR(client.Call(method, r, &out));
  Show(ctx, out.change());
  return absl::OkStatus();
}

absl::Status Calendar(const Context& ctx, const Args& args, bool ics) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"from", "to", "service", "ci", "group"}));
  v1::GetChangeCalendarRequest r;
  ITSM_ASSIGN_OR_RETURN(*r.mutable_start_time(), TimeFlag(args, "from"));
  ITSM_ASSIGN_OR_RETURN(*r.mutable_end_time(), TimeFlag(args, "to"));
  r.set_service_id(args.Get("service"));
  r.set_configuration_item_id(args.Get("ci"));
  r.set_assignment_group(args.Get("group"));
  ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
  if (ics) {
    v1::ExportChangeCalendarRequest e;
    *e.mutable_start_time() = r.start_time();
    *e.mutable_end_time() = r.end_time();
    e.set_service_id(r.service_id());
    e.set_configuration_item_id(r.configuration_item_id());
    e.set_assignment_group(r.assignment_group());
    v1::ExportChangeCalendarResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::ExportChangeCalendar, e, &out));
    PrintCrlfDocument(out.ics());
    return absl::OkStatus();
  }
  v1::GetChangeCalendarResponse out;
  ITSM_RETURN_IF_ERROR(client.Call(&Stub::GetChangeCalendar, r, &out));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(out).c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& w : out.windows()) {
    rows.push_back({When(w.start_time()), When(w.end_time()),
                    EnumWord(v1::WindowKind_Name(w.kind()), "WINDOW_KIND_"), w.name(), "", ""});
  }
  for (const auto& c : out.changes()) {
    std::vector<std::string> conflicts;
    for (const auto& k : c.conflicts()) {
      conflicts.push_back(absl::StrCat(EnumWord(v1::ConflictKind_Name(k.kind()), "CONFLICT_KIND_"),
                                       k.other_number().empty() ? "" : " " + k.other_number()));
    }
    rows.push_back(
        {When(c.planned_start_time()), When(c.planned_end_time()),
         absl::StrCat("change ", StateOf(c)), absl::StrCat(c.number(), " ", c.title()), RiskOf(c),
         absl::StrCat(
             absl::StrJoin(conflicts, "; "),
             c.conflict_override_reason().empty() || conflicts.empty() ? "" : " (overridden)")});
  }
  PrintTable({"START", "END", "WHAT", "NAME", "RISK", "CONFLICTS"}, rows);
  return absl::OkStatus();
}

absl::Status Transition(const Context& ctx, const Args& args, const std::string& id) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"outcome", "review", "notes"}));
  if (args.positionals().size() != 3) {
    return absl::InvalidArgumentError(
        "usage: itsmctl change move <id> assess|authorise|scheduled|implement|review|closed|"
        "cancelled [--outcome O] [--review R] [--notes N]");
  }
  v1::TransitionChangeRequest r;
  v1::ChangeState state;
  if (!v1::ChangeState_Parse("CHANGE_STATE_" + absl::AsciiStrToUpper(args.positionals()[2]),
                             &state)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown state \"", args.positionals()[2], "\""));
  }
  r.set_target_state(state);
  if (args.Has("outcome")) {
    v1::ChangeOutcome outcome;
    if (!v1::ChangeOutcome_Parse("CHANGE_OUTCOME_" + absl::AsciiStrToUpper(args.Get("outcome")),
                                 &outcome)) {
      return absl::InvalidArgumentError(
          "--outcome: successful, successful_with_issues, failed or backed_out");
    }
    r.set_outcome(outcome);
  }
  r.set_review_notes(args.Get("review"));
  r.set_close_notes(args.Get("notes"));
  return Write(ctx, id, &Stub::TransitionChange, r);
}

// ---- itsmctl change release ... ----

std::string ReleaseStateOf(const v1::Release& r) {
  return EnumWord(v1::ReleaseState_Name(r.state()), "RELEASE_STATE_");
}

absl::StatusOr<v1::Release> GetRelease(ChangeClient& client, const std::string& id,
                                       v1::ReleaseReadiness* readiness = nullptr) {
  v1::GetReleaseRequest r;
  r.set_id(id);
  v1::GetReleaseResponse out;
  ITSM_RETURN_IF_ERROR(client.Call(&Stub::GetRelease, r, &out));
  if (readiness != nullptr) *readiness = out.readiness();
  return out.release();
}

void ShowRelease(const Context& ctx, const v1::Release& r,
                 const v1::ReleaseReadiness* readiness = nullptr) {
  if (ctx.globals().json) {
    std::printf("%s", ToJson(r).c_str());
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"number", r.number()},
      {"id", r.id()},
      {"kind", EnumWord(v1::ReleaseKind_Name(r.kind()), "RELEASE_KIND_")},
      {"title", r.title()},
      {"state", ReleaseStateOf(r)},
      {"changes", absl::StrJoin(r.change_ids(), ", ")},
      {"planned", r.has_planned_start_time() && r.has_planned_end_time()
                      ? When(r.planned_start_time()) + " .. " + When(r.planned_end_time())
                      : ""},
      {"group", r.assignment_group()},
      {"owner", r.owner()},
      {"version", absl::StrCat(r.version())}};
  if (readiness != nullptr) {
    rows.push_back({"ready", readiness->ready() ? "yes" : "no: " + readiness->reason()});
  }
  PrintTable({"FIELD", "VALUE"}, rows);
  std::vector<std::vector<std::string>> deployments;
  for (const v1::Deployment& d : r.deployments()) {
    deployments.push_back(
        {d.id(), d.environment(),
         EnumWord(v1::DeploymentState_Name(d.state()), "DEPLOYMENT_STATE_"),
         d.has_planned_start_time() ? When(d.planned_start_time()) : "",
         d.has_actual_start_time() ? When(d.actual_start_time()) : "",
         d.has_actual_end_time() ? When(d.actual_end_time()) : "",
         d.outcome() == v1::DEPLOYMENT_OUTCOME_UNSPECIFIED
             ? ""
             : EnumWord(v1::DeploymentOutcome_Name(d.outcome()), "DEPLOYMENT_OUTCOME_"),
         absl::StrJoin(d.configuration_item_ids(), ", ")});
  }
  if (!deployments.empty()) {
    std::printf("\n");
    PrintTable(
        {"DEPLOYMENT", "ENVIRONMENT", "STATE", "PLANNED", "STARTED", "ENDED", "OUTCOME", "CIS"},
        deployments);
  }
}

absl::Status RunRelease(const Context& ctx, const Args& args) {
  const auto& pos = args.positionals();
  const std::string sub = pos.size() > 1 ? pos[1] : "";
  if (sub == "create" || sub == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(2));
  ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
  if (sub == "create") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"kind", "title", "description", "change", "start", "end",
                                         "group", "owner", "idempotency-key"}));
    v1::CreateReleaseRequest r;
    v1::ReleaseKind kind;
    if (!v1::ReleaseKind_Parse("RELEASE_KIND_" + absl::AsciiStrToUpper(args.Get("kind")), &kind)) {
      return absl::InvalidArgumentError("--kind: major, minor or emergency");
    }
    r.set_kind(kind);
    r.set_title(args.Get("title"));
    r.set_description(args.Get("description"));
    for (const auto& c : args.GetAll("change")) r.add_change_ids(c);
    if (args.Has("start")) {
      ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_start_time(), TimeFlag(args, "start"));
    }
    if (args.Has("end")) {
      ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_end_time(), TimeFlag(args, "end"));
    }
    r.set_assignment_group(args.Get("group"));
    r.set_owner(args.Get("owner"));
    r.set_idempotency_key(args.Get("idempotency-key"));
    v1::CreateReleaseResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::CreateRelease, r, &out));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(out.release()).c_str());
    } else {
      std::printf("created %s (%s)  id %s\n", out.release().number().c_str(),
                  ReleaseStateOf(out.release()).c_str(), out.release().id().c_str());
    }
    return absl::OkStatus();
  }
  if (sub == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"state", "change", "limit"}));
    v1::ListReleasesRequest r;
    for (const auto& s : args.GetAll("state")) {
      v1::ReleaseState state;
      if (!v1::ReleaseState_Parse("RELEASE_STATE_" + absl::AsciiStrToUpper(s), &state)) {
        return absl::InvalidArgumentError(absl::StrCat("--state: unknown state \"", s, "\""));
      }
      r.add_states(state);
    }
    if (args.Has("change")) {
      ITSM_ASSIGN_OR_RETURN(v1::Change c, client.Get(args.Get("change")));
      r.set_change_id(c.id());
    }
    ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
    r.mutable_page()->set_page_size(limit);
    v1::ListReleasesResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::ListReleases, r, &out));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(out).c_str());
      return absl::OkStatus();
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : out.releases()) {
      rows.push_back({r.number(), EnumWord(v1::ReleaseKind_Name(r.kind()), "RELEASE_KIND_"),
                      ReleaseStateOf(r), r.title(), absl::StrCat(r.change_ids_size()),
                      absl::StrCat(r.deployments_size())});
    }
    PrintTable({"NUMBER", "KIND", "STATE", "TITLE", "CHANGES", "DEPLOYMENTS"}, rows);
    return absl::OkStatus();
  }
  if (pos.size() < 3) {
    return absl::InvalidArgumentError(
        "usage: itsmctl change release create|list|get|history|move|changes|deploy|deployment "
        "... (see --help)");
  }
  const std::string& id = pos[2];
  if (sub == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    v1::ReleaseReadiness readiness;
    ITSM_ASSIGN_OR_RETURN(v1::Release r, GetRelease(client, id, &readiness));
    ShowRelease(ctx, r, &readiness);
    return absl::OkStatus();
  }
  if (sub == "history") return RunChange(ctx, {"history", id});
  // Writes read the version first, so that the command line needs none.
  ITSM_ASSIGN_OR_RETURN(v1::Release current, GetRelease(client, id));
  if (sub == "move") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"notes"}));
    v1::TransitionReleaseRequest r;
    v1::ReleaseState state;
    if (pos.size() != 4 ||
        !v1::ReleaseState_Parse("RELEASE_STATE_" + absl::AsciiStrToUpper(pos[3]), &state)) {
      return absl::InvalidArgumentError(
          "usage: itsmctl change release move <id> build|test|deploy|review|closed|cancelled "
          "[--notes N]");
    }
    r.set_id(current.id());
    r.set_version(current.version());
    r.set_target_state(state);
    r.set_close_notes(args.Get("notes"));
    v1::TransitionReleaseResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::TransitionRelease, r, &out));
    ShowRelease(ctx, out.release());
    return absl::OkStatus();
  }
  if (sub == "changes") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"change"}));
    v1::UpdateReleaseRequest r;
    r.mutable_release()->set_id(current.id());
    r.mutable_release()->set_version(current.version());
    for (const auto& c : args.GetAll("change")) r.mutable_release()->add_change_ids(c);
    r.mutable_update_mask()->add_paths("change_ids");
    v1::UpdateReleaseResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::UpdateRelease, r, &out));
    ShowRelease(ctx, out.release());
    return absl::OkStatus();
  }
  if (sub == "deploy") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"env", "ci", "start", "end", "notes"}));
    v1::AddDeploymentRequest r;
    r.set_release_id(current.id());
    r.set_version(current.version());
    r.set_environment(args.Get("env"));
    for (const auto& ci : args.GetAll("ci")) r.add_configuration_item_ids(ci);
    if (args.Has("start")) {
      ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_start_time(), TimeFlag(args, "start"));
    }
    if (args.Has("end")) {
      ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_end_time(), TimeFlag(args, "end"));
    }
    r.set_notes(args.Get("notes"));
    v1::AddDeploymentResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::AddDeployment, r, &out));
    ShowRelease(ctx, out.release());
    return absl::OkStatus();
  }
  if (sub == "deployment") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"outcome", "notes"}));
    static const std::map<std::string, v1::DeploymentState> kSteps = {
        {"start", v1::DEPLOYMENT_STATE_IN_PROGRESS},
        {"complete", v1::DEPLOYMENT_STATE_COMPLETED},
        {"cancel", v1::DEPLOYMENT_STATE_CANCELLED}};
    if (pos.size() != 5 || !kSteps.contains(pos[4])) {
      return absl::InvalidArgumentError(
          "usage: itsmctl change release deployment <id> <n> start|complete|cancel "
          "[--outcome successful|failed|rolled_back] [--notes N]");
    }
    v1::UpdateDeploymentRequest r;
    r.set_release_id(current.id());
    r.set_version(current.version());
    r.mutable_deployment()->set_id(pos[3]);
    r.mutable_deployment()->set_state(kSteps.at(pos[4]));
    r.mutable_update_mask()->add_paths("state");
    if (args.Has("outcome")) {
      v1::DeploymentOutcome outcome;
      if (!v1::DeploymentOutcome_Parse(
              "DEPLOYMENT_OUTCOME_" + absl::AsciiStrToUpper(args.Get("outcome")), &outcome)) {
        return absl::InvalidArgumentError("--outcome: successful, failed or rolled_back");
      }
      r.mutable_deployment()->set_outcome(outcome);
      r.mutable_update_mask()->add_paths("outcome");
    }
    if (args.Has("notes")) {
      r.mutable_deployment()->set_notes(args.Get("notes"));
      r.mutable_update_mask()->add_paths("notes");
    }
    v1::UpdateDeploymentResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::UpdateDeployment, r, &out));
    ShowRelease(ctx, out.release());
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown release command \"", sub, "\""));
}

}  // namespace

absl::Status RunChange(const Context& ctx, const std::vector<std::string>& argv) {
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse(argv, {}));
  const auto& pos = args.positionals();
  const std::string sub = pos.empty() ? "" : pos[0];
  if (sub == "create" || sub == "list" || sub == "calendar" || sub == "ics") {
    ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(1));
  }
  if (sub == "create") return Create(ctx, args);
  if (sub == "list") return List(ctx, args);
  if (sub == "calendar" || sub == "ics") return Calendar(ctx, args, sub == "ics");
  if (sub == "release") return RunRelease(ctx, args);
  if (pos.size() < 2) {
    return absl::InvalidArgumentError(
        "usage: itsmctl change create|list|calendar|ics|get|history|assess|approve|reject|"
        "schedule|override|move|release ... (see --help)");
  }
  const std::string& id = pos[1];
  if (sub == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
    ITSM_ASSIGN_OR_RETURN(v1::Change c, client.Get(id));
    Show(ctx, c);
    return absl::OkStatus();
  }
  if (sub == "history") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    ITSM_ASSIGN_OR_RETURN(ChangeClient client, ChangeClient::Open(ctx));
    v1::GetChangeHistoryRequest r;
    r.set_id(id);
    v1::GetChangeHistoryResponse out;
    ITSM_RETURN_IF_ERROR(client.Call(&Stub::GetChangeHistory, r, &out));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(out).c_str());
      return absl::OkStatus();
    }
    PrintAuditTrail(out.entries());
    return absl::OkStatus();
  }
  if (sub == "assess") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"answer"}));
    v1::AssessChangeRequest r;
    ITSM_RETURN_IF_ERROR(AddAnswers(args, r.mutable_risk_answers()));
    return Write(ctx, id, &Stub::AssessChange, r);
  }
  if (sub == "approve" || sub == "reject") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"comment"}));
    v1::DecideChangeApprovalRequest r;
    r.set_decision(sub == "approve" ? v1::APPROVAL_DECISION_APPROVE : v1::APPROVAL_DECISION_REJECT);
    r.set_comment(args.Get("comment"));
    return Write(ctx, id, &Stub::DecideChangeApproval, r);
  }
  if (sub == "schedule") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"start", "end"}));
    v1::ScheduleChangeRequest r;
    ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_start_time(), TimeFlag(args, "start"));
    ITSM_ASSIGN_OR_RETURN(*r.mutable_planned_end_time(), TimeFlag(args, "end"));
    return Write(ctx, id, &Stub::ScheduleChange, r);
  }
  if (sub == "override") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"reason"}));
    v1::OverrideChangeConflictsRequest r;
    r.set_reason(args.Get("reason"));
    return Write(ctx, id, &Stub::OverrideChangeConflicts, r);
  }
  if (sub == "move") return Transition(ctx, args, id);
  return absl::InvalidArgumentError(absl::StrCat("unknown change command \"", sub, "\""));
}

}  // namespace itsm::ctl
