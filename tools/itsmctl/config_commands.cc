// itsmctl ci ...: the CMDB from a terminal (classes, CIs, relationships, impact, history,
// import, baselines). Talks to the "configuration" service of the endpoints file (or --address).
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "google/protobuf/util/json_util.h"
#include "itsm/base/status_macros.h"
#include "itsm/config/v1/config.grpc.pb.h"
#include "itsm/supervisor/child_process.h"

namespace itsm::ctl {
namespace {

namespace cfg = config::v1;

std::string StatusName(cfg::LifecycleStatus s) {
  return EnumWord(cfg::LifecycleStatus_Name(s), "LIFECYCLE_STATUS_");
}
std::string CriticalityName(cfg::BusinessCriticality c) {
  return c == cfg::BUSINESS_CRITICALITY_UNSPECIFIED
             ? ""
             : EnumWord(cfg::BusinessCriticality_Name(c), "BUSINESS_CRITICALITY_");
}
std::string TypeName(cfg::RelationshipType t) {
  return EnumWord(cfg::RelationshipType_Name(t), "RELATIONSHIP_TYPE_");
}

absl::StatusOr<cfg::LifecycleStatus> ParseStatus(const std::string& v) {
  return ParseEnumWord<cfg::LifecycleStatus>("status", v, "LIFECYCLE_STATUS_");
}
absl::StatusOr<cfg::BusinessCriticality> ParseCriticality(const std::string& v) {
  return ParseEnumWord<cfg::BusinessCriticality>("criticality", v, "BUSINESS_CRITICALITY_");
}
absl::StatusOr<cfg::RelationshipType> ParseType(const std::string& v) {
  return ParseEnumWord<cfg::RelationshipType>("type", v, "RELATIONSHIP_TYPE_");
}

// --attr key=value, repeatable.
absl::StatusOr<std::map<std::string, std::string>> Attributes(const Args& args) {
  std::map<std::string, std::string> out;
  for (const auto& kv : args.GetAll("attr")) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--attr: expected name=value, got \"", kv, "\""));
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<cfg::ConfigurationService::Stub>> Stub(const Context& ctx) {
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("configuration"));
  return cfg::ConfigurationService::NewStub(channel);
}

void PrintCi(const cfg::ConfigurationItem& ci) {
  std::vector<std::vector<std::string>> rows = {
      {"id", ci.id()},
      {"class", ci.class_name()},
      {"name", ci.name()},
      {"status", StatusName(ci.status())},
      {"owner group", ci.owner_group()},
      {"criticality", CriticalityName(ci.business_criticality())},
      {"version", absl::StrCat(ci.version())},
      {"created", When(ci.create_time()) + " by " + ci.created_by()},
      {"updated", When(ci.update_time())}};
  std::map<std::string, std::string> attrs(ci.attributes().begin(), ci.attributes().end());
  for (const auto& [k, v] : attrs) rows.push_back({"  " + k, v});
  PrintTable({"FIELD", "VALUE"}, rows);
}

absl::Status Output(const Context& ctx, const google::protobuf::Message& m) {
  if (ctx.globals().json) std::printf("%s", ToJson(m).c_str());
  return absl::OkStatus();
}

absl::Status ClassCommand(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty())
    return absl::InvalidArgumentError("usage: itsmctl ci class list|get|create ...");
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"abstract"}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  if (argv[0] == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"page-size"}));
    // Every page, gathered into one answer (a page holds at most 500 classes or 2 MiB).
    cfg::ListClassesRequest request;
    ITSM_ASSIGN_OR_RETURN(int page_size, args.GetInt("page-size", 500));
    request.mutable_page()->set_page_size(page_size);
    cfg::ListClassesResponse r;
    do {
      cfg::ListClassesResponse page;
      ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListClasses(ctx.NewCall().get(), request, &page)));
      for (auto& c : *page.mutable_classes()) *r.add_classes() = std::move(c);
      request.mutable_page()->set_page_token(page.next_page_token());
    } while (!request.page().page_token().empty());
    if (ctx.globals().json) return Output(ctx, r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : r.classes()) {
      rows.push_back({c.name(), c.parent(), c.abstract() ? "abstract" : "",
                      c.system() ? "shipped" : "custom",
                      absl::StrCat(c.effective_attributes_size())});
    }
    PrintTable({"CLASS", "PARENT", "", "ORIGIN", "ATTRIBUTES"}, rows);
    return absl::OkStatus();
  }
  if (argv[0] == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    if (args.positionals().size() != 1)
      return absl::InvalidArgumentError("usage: itsmctl ci class get <name>");
    cfg::GetClassRequest req;
    req.set_name(args.positionals()[0]);
    cfg::GetClassResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetClass(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : r.ci_class().effective_attributes()) {
      std::string type = EnumWord(cfg::AttributeType_Name(a.type()), "ATTRIBUTE_TYPE_");
      if (a.enum_values_size()) type += " (" + absl::StrJoin(a.enum_values(), "|") + ")";
      if (!a.reference_class().empty()) type += " -> " + a.reference_class();
      rows.push_back({a.name(), type, a.required() ? "required" : "", a.description()});
    }
    std::printf("%s%s%s\n", r.ci_class().name().c_str(),
                r.ci_class().parent().empty() ? "" : (" : " + r.ci_class().parent()).c_str(),
                r.ci_class().abstract() ? " (abstract)" : "");
    PrintTable({"ATTRIBUTE", "TYPE", "", "DESCRIPTION"}, rows);
    return absl::OkStatus();
  }
  if (argv[0] == "create") {
    // --attr name:type[:required][:enum=a|b][:ref=class]
    ITSM_RETURN_IF_ERROR(
        args.OnlyKnown({"name", "parent", "display-name", "description", "abstract", "attr"}));
    cfg::CreateClassRequest req;
    auto* c = req.mutable_ci_class();
    c->set_name(args.Get("name"));
    c->set_parent(args.Get("parent"));
    c->set_display_name(args.Get("display-name"));
    c->set_description(args.Get("description"));
    c->set_abstract(args.Has("abstract"));
    for (const auto& spec : args.GetAll("attr")) {
      std::vector<std::string> parts = absl::StrSplit(spec, ':');
      if (parts.size() < 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--attr: expected name:type[:required][:enum=a|b][:ref=class], got \"", spec, "\""));
      }
      auto* a = c->add_attributes();
      a->set_name(parts[0]);
      cfg::AttributeType type;
      if (!cfg::AttributeType_Parse("ATTRIBUTE_TYPE_" + absl::AsciiStrToUpper(parts[1]), &type)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--attr: unknown type \"", parts[1], "\" (string, int, bool, enum, date, reference)"));
      }
      a->set_type(type);
      for (size_t i = 2; i < parts.size(); ++i) {
        if (parts[i] == "required") {
          a->set_required(true);
        } else if (parts[i].rfind("enum=", 0) == 0) {
          for (auto v : absl::StrSplit(parts[i].substr(5), '|')) a->add_enum_values(std::string(v));
        } else if (parts[i].rfind("ref=", 0) == 0) {
          a->set_reference_class(parts[i].substr(4));
        } else {
          return absl::InvalidArgumentError(
              absl::StrCat("--attr: unknown flag \"", parts[i], "\""));
        }
      }
    }
    cfg::CreateClassResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateClass(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::printf("created class %s (%d attributes with inherited ones)\n",
                r.ci_class().name().c_str(), r.ci_class().effective_attributes_size());
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ci class command \"", argv[0], "\""));
}

absl::Status Create(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"class", "name", "status", "group", "criticality",
                                       "description", "attr", "idempotency-key"}));
  cfg::CreateConfigurationItemRequest req;
  req.set_class_name(args.Get("class"));
  req.set_name(args.Get("name"));
  if (args.Has("status")) {
    ITSM_ASSIGN_OR_RETURN(auto s, ParseStatus(args.Get("status")));
    req.set_status(s);
  }
  if (args.Has("criticality")) {
    ITSM_ASSIGN_OR_RETURN(auto c, ParseCriticality(args.Get("criticality")));
    req.set_business_criticality(c);
  }
  req.set_owner_group(args.Get("group"));
  req.set_description(args.Get("description"));
  ITSM_ASSIGN_OR_RETURN(auto attrs, Attributes(args));
  for (auto& [k, v] : attrs) (*req.mutable_attributes())[k] = v;
  req.set_idempotency_key(args.Get("idempotency-key"));
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  cfg::CreateConfigurationItemResponse r;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateConfigurationItem(ctx.NewCall().get(), req, &r)));
  if (ctx.globals().json) return Output(ctx, r);
  std::printf("created %s/%s  id %s\n", r.configuration_item().class_name().c_str(),
              r.configuration_item().name().c_str(), r.configuration_item().id().c_str());
  return absl::OkStatus();
}

absl::StatusOr<cfg::ConfigurationItem> Fetch(const Context& ctx,
                                             cfg::ConfigurationService::Stub& stub,
                                             const std::string& id) {
  cfg::GetConfigurationItemRequest req;
  req.set_id(id);
  cfg::GetConfigurationItemResponse r;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub.GetConfigurationItem(ctx.NewCall().get(), req, &r)));
  return r.configuration_item();
}

absl::Status Get(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
  if (args.positionals().size() != 1)
    return absl::InvalidArgumentError("usage: itsmctl ci get <id or class/name>");
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  ITSM_ASSIGN_OR_RETURN(auto ci, Fetch(ctx, *stub, args.positionals()[0]));
  if (ctx.globals().json) return Output(ctx, ci);
  PrintCi(ci);
  return absl::OkStatus();
}

// ci update <id> [--status S] [--group G] [--criticality C] [--name N] [--attr k=v]...: reads the
// CI, applies the options as an update mask at the version it read.
absl::Status Update(const Context& ctx, const Args& args, bool retire) {
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown(retire ? std::vector<std::string>{}
                            : std::vector<std::string>{"status", "group", "criticality", "name",
                                                       "description", "attr"}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "usage: itsmctl ci ", retire ? "retire" : "update", " <id or class/name> ..."));
  }
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  ITSM_ASSIGN_OR_RETURN(auto ci, Fetch(ctx, *stub, args.positionals()[0]));
  cfg::UpdateConfigurationItemRequest req;
  *req.mutable_configuration_item() = ci;
  auto* mask = req.mutable_update_mask();
  auto* out = req.mutable_configuration_item();
  if (retire) {
    out->set_status(cfg::LIFECYCLE_STATUS_RETIRED);
    mask->add_paths("status");
  }
  if (args.Has("status")) {
    ITSM_ASSIGN_OR_RETURN(auto s, ParseStatus(args.Get("status")));
    out->set_status(s);
    mask->add_paths("status");
  }
  if (args.Has("criticality")) {
    ITSM_ASSIGN_OR_RETURN(auto c, ParseCriticality(args.Get("criticality")));
    out->set_business_criticality(c);
    mask->add_paths("business_criticality");
  }
  if (args.Has("group")) {
    out->set_owner_group(args.Get("group"));
    mask->add_paths("owner_group");
  }
  if (args.Has("name")) {
    out->set_name(args.Get("name"));
    mask->add_paths("name");
  }
  if (args.Has("description")) {
    out->set_description(args.Get("description"));
    mask->add_paths("description");
  }
  ITSM_ASSIGN_OR_RETURN(auto attrs, Attributes(args));
  for (auto& [k, v] : attrs) {
    (*out->mutable_attributes())[k] = v;
    mask->add_paths("attributes." + k);
  }
  if (mask->paths_size() == 0) return absl::InvalidArgumentError("nothing to update (see --help)");
  cfg::UpdateConfigurationItemResponse r;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->UpdateConfigurationItem(ctx.NewCall().get(), req, &r)));
  if (ctx.globals().json) return Output(ctx, r);
  std::printf("%s/%s now at version %ld (%s)\n", r.configuration_item().class_name().c_str(),
              r.configuration_item().name().c_str(),
              static_cast<long>(r.configuration_item().version()),
              StatusName(r.configuration_item().status()).c_str());
  return absl::OkStatus();
}

absl::Status List(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown(
      {"class", "status", "group", "criticality", "search", "limit", "page-token", "all"}));
  cfg::ListConfigurationItemsRequest req;
  for (const auto& c : args.GetAll("class")) req.add_class_names(c);
  for (const auto& s : args.GetAll("status")) {
    ITSM_ASSIGN_OR_RETURN(auto status, ParseStatus(s));
    req.add_statuses(status);
  }
  for (const auto& c : args.GetAll("criticality")) {
    ITSM_ASSIGN_OR_RETURN(auto crit, ParseCriticality(c));
    req.add_business_criticalities(crit);
  }
  req.set_owner_group(args.Get("group"));
  req.set_name_contains(args.Get("search"));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
  req.mutable_page()->set_page_size(limit);
  req.mutable_page()->set_page_token(args.Get("page-token"));
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  cfg::ListConfigurationItemsResponse all;
  do {
    cfg::ListConfigurationItemsResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListConfigurationItems(ctx.NewCall().get(), req, &r)));
    for (auto& ci : *r.mutable_configuration_items())
      *all.add_configuration_items() = std::move(ci);
    all.set_next_page_token(r.next_page_token());
    req.mutable_page()->set_page_token(r.next_page_token());
  } while (args.Has("all") && !all.next_page_token().empty());
  if (ctx.globals().json) return Output(ctx, all);
  std::vector<std::vector<std::string>> rows;
  for (const auto& ci : all.configuration_items()) {
    rows.push_back({ci.class_name(), ci.name(), StatusName(ci.status()), ci.owner_group(),
                    CriticalityName(ci.business_criticality()), ci.id()});
  }
  PrintTable({"CLASS", "NAME", "STATUS", "GROUP", "CRITICALITY", "ID"}, rows);
  if (!all.next_page_token().empty())
    std::printf("more: --page-token %s\n", all.next_page_token().c_str());
  return absl::OkStatus();
}

absl::Status Rel(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("usage: itsmctl ci rel add|rm|list ...");
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {}));
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  const auto& p = args.positionals();
  if (argv[0] == "add") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"description"}));
    if (p.size() != 3) {
      return absl::InvalidArgumentError(
          "usage: itsmctl ci rel add <source> depends_on|runs_on|connected_to|member_of <target>");
    }
    cfg::CreateRelationshipRequest req;
    req.set_source_id(p[0]);
    ITSM_ASSIGN_OR_RETURN(auto type, ParseType(p[1]));
    req.set_type(type);
    req.set_target_id(p[2]);
    req.set_description(args.Get("description"));
    cfg::CreateRelationshipResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateRelationship(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::printf("related: %s %s %s  id %s\n", p[0].c_str(), p[1].c_str(), p[2].c_str(),
                r.relationship().id().c_str());
    return absl::OkStatus();
  }
  if (argv[0] == "rm") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    if (p.size() != 1)
      return absl::InvalidArgumentError("usage: itsmctl ci rel rm <relationship id>");
    cfg::DeleteRelationshipRequest req;
    req.set_id(p[0]);
    cfg::DeleteRelationshipResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->DeleteRelationship(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::printf("deleted relationship %s\n", p[0].c_str());
    return absl::OkStatus();
  }
  if (argv[0] == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    if (p.size() != 1)
      return absl::InvalidArgumentError("usage: itsmctl ci rel list <id or class/name>");
    cfg::ListRelationshipsRequest req;
    req.set_ci_id(p[0]);
    cfg::ListRelationshipsResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListRelationships(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : r.outgoing())
      rows.push_back({"out", TypeName(x.type()), x.target_id(), x.id()});
    for (const auto& x : r.incoming())
      rows.push_back({"in", TypeName(x.type()), x.source_id(), x.id()});
    PrintTable({"DIR", "TYPE", "OTHER CI", "RELATIONSHIP"}, rows);
    if (r.truncated()) {
      std::printf(
          "(truncated: the CI has more relationships than one answer holds, 1,000 each way; "
          "read its neighbours selectively with: itsmctl ci impact %s --depth 1 --class ...)\n",
          p[0].c_str());
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ci rel command \"", argv[0], "\""));
}

absl::Status Impact(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"upstream", "depth", "class", "limit"}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(
        "usage: itsmctl ci impact <id or class/name> [--upstream] ...");
  }
  cfg::AnalyzeImpactRequest req;
  req.set_ci_id(args.positionals()[0]);
  req.set_direction(args.Has("upstream") ? cfg::IMPACT_DIRECTION_UPSTREAM
                                         : cfg::IMPACT_DIRECTION_DOWNSTREAM);
  ITSM_ASSIGN_OR_RETURN(int depth, args.GetInt("depth", 0));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 0));
  req.set_max_depth(depth);
  req.set_max_results(limit);
  for (const auto& c : args.GetAll("class")) req.add_class_names(c);
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  cfg::AnalyzeImpactResponse r;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->AnalyzeImpact(ctx.NewCall().get(), req, &r)));
  if (ctx.globals().json) return Output(ctx, r);
  const bool up = args.Has("upstream");
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : r.items()) {
    // The path read the way it happens: "<- runs_on db <- depends_on web ..."
    std::string path = r.origin().name();
    for (const auto& step : item.path()) {
      absl::StrAppend(&path, up ? " -> " : " <- ", TypeName(step.relationship_type()), " ",
                      step.ci().name());
    }
    rows.push_back({absl::StrCat(item.depth()), item.ci().class_name(), item.ci().name(),
                    CriticalityName(item.ci().business_criticality()), path});
  }
  if (up) {
    std::printf("what %s/%s depends on:\n", r.origin().class_name().c_str(),
                r.origin().name().c_str());
  } else {
    std::printf("impacted by a failure of %s/%s:\n", r.origin().class_name().c_str(),
                r.origin().name().c_str());
  }
  PrintTable({"DEPTH", "CLASS", "NAME", "CRITICALITY", "PATH"}, rows);
  if (r.truncated()) {
    // Cut at --limit (1,000 unless given), or earlier by the answer's size cap (3 MiB), which
    // no --limit lifts.
    const int asked = limit == 0 ? 1000 : limit;
    std::printf("%s\n", r.items_size() >= asked && asked < 10000
                            ? "(truncated: more CIs are impacted; raise --limit, at most 10000)"
                            : "(truncated: more CIs are impacted than one answer holds; narrow "
                              "with --depth or --class)");
  }
  return absl::OkStatus();
}

absl::Status History(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"relationships", "limit"}));
  if (args.positionals().size() != 1)
    return absl::InvalidArgumentError("usage: itsmctl ci history <id>");
  cfg::ListHistoryRequest req;
  req.set_subject_id(args.positionals()[0]);
  req.set_include_relationships(args.Has("relationships"));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 100));
  req.mutable_page()->set_page_size(limit);
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  cfg::ListHistoryResponse r;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListHistory(ctx.NewCall().get(), req, &r)));
  if (ctx.globals().json) return Output(ctx, r);
  std::vector<TrailEntry> trail;
  for (const auto& h : r.entries()) {
    trail.push_back({&h.entry(), h.subject_type() == cfg::SUBJECT_TYPE_RELATIONSHIP
                                     ? "relationship " + h.subject_id()
                                     : ""});
  }
  PrintAuditTrail(trail, /*with_subject=*/req.include_relationships());
  return absl::OkStatus();
}

absl::Status Import(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(
        "usage: itsmctl ci import <file.json> (an ImportConfigurationItemsRequest)");
  }
  ITSM_ASSIGN_OR_RETURN(std::string text, supervisor::ReadFile(args.positionals()[0]));
  cfg::ImportConfigurationItemsRequest req;
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &req);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(args.positionals()[0], ": ", parsed.ToString()));
  }
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  cfg::ImportConfigurationItemsResponse r;
  auto call = ctx.NewCall();
  call->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ImportConfigurationItems(call.get(), req, &r)));
  // Rows are applied one by one: a feed with rejected rows still applied the others, but a
  // script running it must see that some were dropped.
  const absl::Status outcome =
      r.rejected() == 0
          ? absl::OkStatus()
          : absl::FailedPreconditionError(absl::StrCat(
                r.rejected(), " rows rejected (the others were applied; each is named above)"));
  if (ctx.globals().json) {
    ITSM_RETURN_IF_ERROR(Output(ctx, r));
    return outcome;
  }
  for (const auto& x : r.items()) {
    if (x.outcome() == cfg::IMPORT_OUTCOME_REJECTED) {
      std::printf("item %d rejected: %s\n", x.index(), x.reason().c_str());
    }
  }
  for (const auto& x : r.relationships()) {
    if (x.outcome() == cfg::IMPORT_OUTCOME_REJECTED) {
      std::printf("relationship %d rejected: %s\n", x.index(), x.reason().c_str());
    }
  }
  std::printf("created %d, updated %d, unchanged %d, rejected %d\n", r.created(), r.updated(),
              r.unchanged(), r.rejected());
  return outcome;
}

absl::Status Baseline(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError("usage: itsmctl ci baseline create|list|get|diff ...");
  }
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"all"}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  ITSM_ASSIGN_OR_RETURN(auto stub, Stub(ctx));
  if (argv[0] == "create") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"name", "description", "root", "depth", "ci"}));
    cfg::CreateBaselineRequest req;
    req.set_name(args.Get("name"));
    req.set_description(args.Get("description"));
    req.set_root_ci_id(args.Get("root"));
    ITSM_ASSIGN_OR_RETURN(int depth, args.GetInt("depth", 0));
    req.set_root_depth(depth);
    for (const auto& id : args.GetAll("ci")) req.add_ci_ids(id);
    cfg::CreateBaselineResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateBaseline(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::printf("baseline %s: %d CIs, %d relationships  id %s\n", r.baseline().name().c_str(),
                r.baseline().ci_count(), r.baseline().relationship_count(),
                r.baseline().id().c_str());
    return absl::OkStatus();
  }
  if (argv[0] == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"limit", "page-token", "all"}));
    cfg::ListBaselinesRequest req;
    ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
    req.mutable_page()->set_page_size(limit);
    req.mutable_page()->set_page_token(args.Get("page-token"));
    cfg::ListBaselinesResponse all;
    do {
      cfg::ListBaselinesResponse r;
      ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListBaselines(ctx.NewCall().get(), req, &r)));
      for (auto& b : *r.mutable_baselines()) *all.add_baselines() = std::move(b);
      all.set_next_page_token(r.next_page_token());
      req.mutable_page()->set_page_token(r.next_page_token());
    } while (args.Has("all") && !all.next_page_token().empty());
    if (ctx.globals().json) return Output(ctx, all);
    std::vector<std::vector<std::string>> rows;
    for (const auto& b : all.baselines()) {
      rows.push_back({b.name(), absl::StrCat(b.ci_count()), absl::StrCat(b.relationship_count()),
                      b.created_by(), When(b.create_time()), b.id()});
    }
    PrintTable({"NAME", "CIS", "RELATIONSHIPS", "BY", "TAKEN", "ID"}, rows);
    if (!all.next_page_token().empty())
      std::printf("more: --page-token %s\n", all.next_page_token().c_str());
    return absl::OkStatus();
  }
  if (argv[0] == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    if (args.positionals().size() != 1)
      return absl::InvalidArgumentError("usage: itsmctl ci baseline get <name or id>");
    cfg::GetBaselineRequest req;
    req.set_baseline(args.positionals()[0]);
    cfg::GetBaselineResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetBaseline(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    const cfg::Baseline& b = r.baseline();
    std::printf("baseline %s  id %s\ntaken %s by %s: %d CIs, %d relationships\n", b.name().c_str(),
                b.id().c_str(), When(b.create_time()).c_str(), b.created_by().c_str(), b.ci_count(),
                b.relationship_count());
    if (!b.root_ci_id().empty()) {
      std::printf("scope: %s and what it depends on, to depth %d\n", b.root_ci_id().c_str(),
                  b.root_depth());
    } else {
      std::printf("scope: %s\n", absl::StrJoin(b.ci_ids(), " ").c_str());
    }
    if (!b.description().empty()) std::printf("%s\n", b.description().c_str());
    return absl::OkStatus();
  }
  if (argv[0] == "diff") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    if (args.positionals().size() != 1)
      return absl::InvalidArgumentError("usage: itsmctl ci baseline diff <name or id>");
    cfg::DiffBaselineRequest req;
    req.set_baseline(args.positionals()[0]);
    cfg::DiffBaselineResponse r;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->DiffBaseline(ctx.NewCall().get(), req, &r)));
    if (ctx.globals().json) return Output(ctx, r);
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : r.configuration_items()) {
      std::vector<std::string> changes;
      for (const auto& c : d.changes())
        changes.push_back(absl::StrCat(c.field(), ": ", c.old_value(), " -> ", c.new_value()));
      rows.push_back({EnumWord(cfg::DriftKind_Name(d.kind()), "DRIFT_KIND_"), "ci",
                      d.ci().class_name() + "/" + d.ci().name(), absl::StrJoin(changes, "; ")});
    }
    for (const auto& d : r.relationships()) {
      rows.push_back(
          {EnumWord(cfg::DriftKind_Name(d.kind()), "DRIFT_KIND_"), "relationship",
           absl::StrCat(d.relationship().source_id(), " ", TypeName(d.relationship().type()), " ",
                        d.relationship().target_id()),
           ""});
    }
    if (rows.empty()) {
      std::printf("no drift since %s\n", When(r.baseline().create_time()).c_str());
      return absl::OkStatus();
    }
    PrintTable({"DRIFT", "WHAT", "WHICH", "CHANGES"}, rows);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ci baseline command \"", argv[0], "\""));
}

}  // namespace

absl::Status RunConfig(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl ci class|create|get|update|retire|list|rel|impact|history|import|baseline "
        "...");
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "class") return ClassCommand(ctx, rest);
  if (argv[0] == "rel") return Rel(ctx, rest);
  if (argv[0] == "baseline") return Baseline(ctx, rest);
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse(rest, {"all", "upstream", "relationships"}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  if (argv[0] == "create") return Create(ctx, args);
  if (argv[0] == "get") return Get(ctx, args);
  if (argv[0] == "update") return Update(ctx, args, false);
  if (argv[0] == "retire") return Update(ctx, args, true);
  if (argv[0] == "list") return List(ctx, args);
  if (argv[0] == "impact") return Impact(ctx, args);
  if (argv[0] == "history") return History(ctx, args);
  if (argv[0] == "import") return Import(ctx, args);
  return absl::InvalidArgumentError(absl::StrCat("unknown ci command \"", argv[0], "\""));
}

}  // namespace itsm::ctl
