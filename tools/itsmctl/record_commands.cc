// itsmctl request ... and itsmctl problem ...: service requests and problems/known errors of the
// incident service. Changes read the current version first unless --version is given.
#include <map>

#include "absl/strings/str_cat.h"
#include "cells.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/incident/v1/incident.grpc.pb.h"

namespace itsm::ctl {

absl::Status PrintHistory(const Context& ctx, const std::string& id);  // incident_commands.cc

namespace {

namespace v1 = incident::v1;

absl::StatusOr<std::string> OneId(const Args& args, const std::string& usage) {
  if (args.positionals().size() != 1) return absl::InvalidArgumentError("usage: " + usage);
  return args.positionals()[0];
}

absl::StatusOr<std::unique_ptr<v1::IncidentService::Stub>> Stub(const Context& ctx) {
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  return v1::IncidentService::NewStub(channel);
}

void Show(const Context& ctx, const v1::ServiceRequest& r) {
  if (ctx.globals().json) {
    std::printf("%s", ToJson(r).c_str());
    return;
  }
  std::printf("%s: %s, %s for %s, version %lld\n", r.number().c_str(),
              EnumWord(v1::ServiceRequestState_Name(r.state()), "SERVICE_REQUEST_STATE_").c_str(),
              r.catalog_item().c_str(), r.requested_for().c_str(),
              static_cast<long long>(r.version()));
}

void Show(const Context& ctx, const v1::Problem& p) {
  if (ctx.globals().json) {
    std::printf("%s", ToJson(p).c_str());
    return;
  }
  std::printf("%s: %s, %s, version %lld\n", p.number().c_str(),
              EnumWord(v1::ProblemState_Name(p.state()), "PROBLEM_STATE_").c_str(),
              p.title().c_str(), static_cast<long long>(p.version()));
}

absl::Status RequestCommand(const Context& ctx, const std::string& verb, const Args& args) {
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  if (verb == "create") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"item", "title", "description", "for", "quantity",
                                         "service", "group", "idempotency-key"}));
    v1::CreateServiceRequestRequest r;
    r.set_catalog_item(args.Get("item"));
    r.set_title(args.Get("title"));
    r.set_description(args.Get("description"));
    r.set_requested_for(args.Get("for"));
    ITSM_ASSIGN_OR_RETURN(int quantity, args.GetInt("quantity", 0));
    r.set_quantity(quantity);
    r.set_service(args.Get("service"));
    r.set_assignment_group(args.Get("group"));
    r.set_idempotency_key(args.Get("idempotency-key"));
    v1::CreateServiceRequestResponse out;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateServiceRequest(ctx.NewCall().get(), r, &out)));
    Show(ctx, out.service_request());
    return absl::OkStatus();
  }
  if (verb == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"for", "group", "item", "limit"}));
    v1::ListServiceRequestsRequest r;
    r.set_requested_for(args.Get("for"));
    r.set_assignment_group(args.Get("group"));
    r.set_catalog_item(args.Get("item"));
    ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
    r.mutable_page()->set_page_size(limit);
    v1::ListServiceRequestsResponse out;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListServiceRequests(ctx.NewCall().get(), r, &out)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(out).c_str());
      return absl::OkStatus();
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : out.service_requests()) {
      rows.push_back({s.number(),
                      EnumWord(v1::ServiceRequestState_Name(s.state()), "SERVICE_REQUEST_STATE_"),
                      s.catalog_item(), s.requested_for(), s.assignment_group()});
    }
    PrintTable({"NUMBER", "STATE", "ITEM", "FOR", "GROUP"}, rows);
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(std::string id, OneId(args, "itsmctl request " + verb + " <id or number>"));
  if (verb == "history") return PrintHistory(ctx, id);
  v1::GetServiceRequestRequest get;
  get.set_id(id);
  v1::GetServiceRequestResponse current;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetServiceRequest(ctx.NewCall().get(), get, &current)));
  if (verb == "get") {
    Show(ctx, current.service_request());
    return absl::OkStatus();
  }
  const std::map<std::string, v1::ServiceRequestState> targets = {
      {"approve", v1::SERVICE_REQUEST_STATE_APPROVED},
      {"reject", v1::SERVICE_REQUEST_STATE_REJECTED},
      {"fulfilling", v1::SERVICE_REQUEST_STATE_FULFILLING},
      {"fulfilled", v1::SERVICE_REQUEST_STATE_FULFILLED},
      {"close", v1::SERVICE_REQUEST_STATE_CLOSED},
      {"cancel", v1::SERVICE_REQUEST_STATE_CANCELLED}};
  auto target = targets.find(verb);
  if (target == targets.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown request command \"", verb, "\""));
  }
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"version", "reason"}));
  v1::TransitionServiceRequestRequest r;
  r.set_id(id);
  ITSM_ASSIGN_OR_RETURN(int64_t version, args.GetVersion());
  r.set_version(version > 0 ? version : current.service_request().version());
  r.set_target_state(target->second);
  r.set_reason(args.Get("reason"));
  v1::TransitionServiceRequestResponse out;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->TransitionServiceRequest(ctx.NewCall().get(), r, &out)));
  Show(ctx, out.service_request());
  return absl::OkStatus();
}

absl::Status ProblemCommand(const Context& ctx, const std::string& verb, const Args& args) {
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  if (verb == "create") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"title", "description", "root-cause", "workaround",
                                         "service", "group", "idempotency-key"}));
    v1::CreateProblemRequest r;
    r.set_title(args.Get("title"));
    r.set_description(args.Get("description"));
    r.set_root_cause(args.Get("root-cause"));
    r.set_workaround(args.Get("workaround"));
    r.set_service(args.Get("service"));
    r.set_assignment_group(args.Get("group"));
    r.set_idempotency_key(args.Get("idempotency-key"));
    v1::CreateProblemResponse out;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateProblem(ctx.NewCall().get(), r, &out)));
    Show(ctx, out.problem());
    return absl::OkStatus();
  }
  if (verb == "list" || verb == "known-errors") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"search", "service", "limit"}));
    v1::ListProblemsRequest r;
    r.set_known_errors_only(verb == "known-errors");
    r.set_text(args.Get("search"));
    r.set_service(args.Get("service"));
    ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
    r.mutable_page()->set_page_size(limit);
    v1::ListProblemsResponse out;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListProblems(ctx.NewCall().get(), r, &out)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(out).c_str());
      return absl::OkStatus();
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : out.problems()) {
      rows.push_back({p.number(), EnumWord(v1::ProblemState_Name(p.state()), "PROBLEM_STATE_"),
                      p.title(), Clip(p.workaround(), 60)});
    }
    PrintTable({"NUMBER", "STATE", "TITLE", "WORKAROUND"}, rows);
    return absl::OkStatus();
  }
  ITSM_ASSIGN_OR_RETURN(std::string id, OneId(args, "itsmctl problem " + verb + " <id or number>"));
  if (verb == "history") return PrintHistory(ctx, id);
  v1::GetProblemRequest get;
  get.set_id(id);
  v1::GetProblemResponse current;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetProblem(ctx.NewCall().get(), get, &current)));
  ITSM_ASSIGN_OR_RETURN(int64_t version, args.GetVersion());
  if (version <= 0) version = static_cast<int>(current.problem().version());
  if (verb == "get") {
    if (ctx.globals().json) {
      std::printf("%s", ToJson(current).c_str());
    } else {
      Show(ctx, current.problem());
      std::printf("linked incidents: %d\n", current.linked_incident_ids_size());
    }
    return absl::OkStatus();
  }
  if (verb == "update") {
    ITSM_RETURN_IF_ERROR(
        args.OnlyKnown({"version", "title", "description", "root-cause", "workaround"}));
    v1::UpdateProblemRequest r;
    r.mutable_problem()->set_id(id);
    r.mutable_problem()->set_version(version);
    for (const auto& [flag, path] :
         std::vector<std::pair<std::string, std::string>>{{"title", "title"},
                                                          {"description", "description"},
                                                          {"root-cause", "root_cause"},
                                                          {"workaround", "workaround"}}) {
      if (!args.Has(flag)) continue;
      auto* p = r.mutable_problem();
      p->GetReflection()->SetString(p, p->GetDescriptor()->FindFieldByName(path), args.Get(flag));
      r.mutable_update_mask()->add_paths(path);
    }
    v1::UpdateProblemResponse out;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->UpdateProblem(ctx.NewCall().get(), r, &out)));
    Show(ctx, out.problem());
    return absl::OkStatus();
  }
  const std::map<std::string, v1::ProblemState> targets = {
      {"investigate", v1::PROBLEM_STATE_UNDER_INVESTIGATION},
      {"known-error", v1::PROBLEM_STATE_KNOWN_ERROR},
      {"resolve", v1::PROBLEM_STATE_RESOLVED},
      {"close", v1::PROBLEM_STATE_CLOSED},
      {"cancel", v1::PROBLEM_STATE_CANCELLED}};
  auto target = targets.find(verb);
  if (target == targets.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown problem command \"", verb, "\""));
  }
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"version", "code", "notes", "with-incidents", "reason"}));
  v1::TransitionProblemRequest r;
  r.set_id(id);
  r.set_version(version);
  r.set_target_state(target->second);
  r.set_resolution_code(args.Get("code"));
  r.set_resolution_notes(args.Get("notes"));
  r.set_resolve_linked_incidents(args.Has("with-incidents"));
  r.set_reason(args.Get("reason"));
  v1::TransitionProblemResponse out;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->TransitionProblem(ctx.NewCall().get(), r, &out)));
  Show(ctx, out.problem());
  for (const auto& i : out.resolved_incidents()) std::printf("resolved %s\n", i.number().c_str());
  return absl::OkStatus();
}

}  // namespace

absl::Status RunRequest(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl request "
        "create|get|list|approve|reject|fulfilling|fulfilled|close|cancel|history ...");
  }
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  return RequestCommand(ctx, argv[0], args);
}

absl::Status RunProblem(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl problem "
        "create|get|list|known-errors|update|investigate|known-error|resolve|"
        "close|cancel|history ...");
  }
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"with-incidents"}));
  if (argv[0] == "create" || argv[0] == "list" || argv[0] == "known-errors") {
    ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  }
  return ProblemCommand(ctx, argv[0], args);
}

}  // namespace itsm::ctl
