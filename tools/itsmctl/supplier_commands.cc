// itsmctl supplier: suppliers, contracts, deadlines, reviews, scorecards and the cost of services.
// Amounts are typed and printed in major units ("1200.50 EUR") but travel as integer minor units:
// the conversion is decimal text arithmetic, never a floating-point number.
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/supplier/v1/supplier.grpc.pb.h"
#include "money.h"

namespace itsm::ctl {
namespace {

namespace supv1 = ::itsm::supplier::v1;
using Stub = supv1::SupplierService::Stub;

absl::StatusOr<std::unique_ptr<Stub>> NewStub(const Context& ctx) {
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("supplier"));
  return supv1::SupplierService::NewStub(channel);
}

// Prints `message` as JSON (--output json) and returns true, or returns false for a table.
bool PrintedAsJson(const Context& ctx, const google::protobuf::Message& message) {
  if (!ctx.globals().json) return false;
  std::printf("%s\n", ToJson(message).c_str());
  return true;
}

// "3m", "90d", "1m15d" -> a Period.
absl::StatusOr<supv1::Period> ParsePeriod(const std::string& flag, const std::string& text) {
  supv1::Period period;
  std::string number;
  bool any = false;
  for (char ch : text) {
    if (absl::ascii_isdigit(ch)) {
      number.push_back(ch);
      continue;
    }
    int value = 0;
    if (number.empty() || !absl::SimpleAtoi(number, &value) || (ch != 'm' && ch != 'd')) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, ": \"", text, "\" is not a period such as 3m, 90d or 1m15d"));
    }
    (ch == 'm' ? period.set_months(value) : period.set_days(value));
    number.clear();
    any = true;
  }
  if (!number.empty() || !any) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not a period such as 3m, 90d or 1m15d"));
  }
  return period;
}

std::string FormatPeriod(const supv1::Period& p) {
  if (p.months() == 0 && p.days() == 0) return "-";
  std::string out;
  if (p.months() != 0) absl::StrAppend(&out, p.months(), "m");
  if (p.days() != 0) absl::StrAppend(&out, p.days(), "d");
  return out;
}

// ---- Suppliers ----

void PrintSuppliers(const std::vector<const supv1::Supplier*>& suppliers) {
  std::vector<std::vector<std::string>> rows;
  for (const auto* s : suppliers) {
    rows.push_back({s->number(), s->name(),
                    EnumWord(supv1::SupplierStatus_Name(s->status()), "SUPPLIER_STATUS_"),
                    s->category(),
                    EnumWord(supv1::RiskRating_Name(s->risk_rating()), "RISK_RATING_"),
                    absl::StrJoin(s->assignment_groups(), ","),
                    s->next_review_date().empty() ? "-" : s->next_review_date()});
  }
  PrintTable({"NUMBER", "NAME", "STATUS", "CATEGORY", "RISK", "GROUPS", "NEXT REVIEW"}, rows);
}

// --contact "name:role[:email[:phone]]"
absl::StatusOr<supv1::Contact> ParseContact(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("--contact: \"", text, "\" is not name:role[:email[:phone]]"));
  }
  supv1::Contact c;
  c.set_name(parts[0]);
  ITSM_ASSIGN_OR_RETURN(auto role,
                        ParseEnumWord<supv1::ContactRole>("contact", parts[1], "CONTACT_ROLE_"));
  c.set_role(role);
  if (parts.size() > 2) c.set_email(parts[2]);
  if (parts.size() > 3) c.set_phone(parts[3]);
  return c;
}

absl::Status CreateSupplier(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown({"name", "category", "description", "status", "risk", "group", "service", "ci",
                      "contact", "next-review", "review-zone", "idempotency-key"}));
  supv1::CreateSupplierRequest request;
  supv1::Supplier* s = request.mutable_supplier();
  s->set_name(args.Get("name"));
  s->set_category(args.Get("category"));
  s->set_description(args.Get("description"));
  if (args.Has("status")) {
    ITSM_ASSIGN_OR_RETURN(auto status, ParseEnumWord<supv1::SupplierStatus>(
                                           "status", args.Get("status"), "SUPPLIER_STATUS_"));
    s->set_status(status);
  }
  if (args.Has("risk")) {
    ITSM_ASSIGN_OR_RETURN(
        auto risk, ParseEnumWord<supv1::RiskRating>("risk", args.Get("risk"), "RISK_RATING_"));
    s->set_risk_rating(risk);
  }
  for (const auto& g : args.GetAll("group")) s->add_assignment_groups(g);
  for (const auto& v : args.GetAll("service")) s->add_services(v);
  for (const auto& ci : args.GetAll("ci")) s->add_configuration_item_ids(ci);
  for (const auto& c : args.GetAll("contact")) {
    ITSM_ASSIGN_OR_RETURN(*s->add_contacts(), ParseContact(c));
  }
  s->set_next_review_date(args.Get("next-review"));
  s->set_review_time_zone(args.Get("review-zone"));
  request.set_idempotency_key(args.Get("idempotency-key"));
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::CreateSupplierResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateSupplier(ctx.NewCall().get(), request, &response)));
  if (!PrintedAsJson(ctx, response.supplier())) PrintSuppliers({&response.supplier()});
  return absl::OkStatus();
}

absl::StatusOr<supv1::Supplier> FetchSupplier(const Context& ctx, Stub& stub,
                                              const std::string& id) {
  supv1::GetSupplierRequest request;
  request.set_id(id);
  supv1::GetSupplierResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub.GetSupplier(ctx.NewCall().get(), request, &response)));
  return response.supplier();
}

// A supplier's or contract's trail (one call serves both, by id or number).
absl::Status History(const Context& ctx, const Args& args, const char* usage) {
  if (args.positionals().size() != 1) return absl::InvalidArgumentError(usage);
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::GetHistoryRequest request;
  request.set_id(args.positionals()[0]);
  request.mutable_page()->set_page_size(1000);
  supv1::GetHistoryResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetHistory(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  PrintAuditTrail(response.entries());
  return absl::OkStatus();
}

absl::Status GetSupplier(const Context& ctx, const Args& args) {
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError("usage: itsmctl supplier get <id or number>");
  }
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  ITSM_ASSIGN_OR_RETURN(supv1::Supplier s, FetchSupplier(ctx, *stub, args.positionals()[0]));
  if (PrintedAsJson(ctx, s)) return absl::OkStatus();
  PrintSuppliers({&s});
  for (const auto& c : s.contacts()) {
    std::printf("contact: %s (%s) %s %s\n", c.name().c_str(),
                EnumWord(supv1::ContactRole_Name(c.role()), "CONTACT_ROLE_").c_str(),
                c.email().c_str(), c.phone().c_str());
  }
  if (!s.services().empty())
    std::printf("services: %s\n", absl::StrJoin(s.services(), ", ").c_str());
  if (!s.configuration_item_ids().empty()) {
    std::printf("CIs: %s\n", absl::StrJoin(s.configuration_item_ids(), ", ").c_str());
  }
  std::printf("version %lld, created %s by %s\n", static_cast<long long>(s.version()),
              When(s.create_time()).c_str(), s.created_by().c_str());
  return absl::OkStatus();
}

absl::Status ListSuppliers(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown({"status", "category", "search", "group", "limit", "page-token"}));
  supv1::ListSuppliersRequest request;
  for (const auto& s : args.GetAll("status")) {
    ITSM_ASSIGN_OR_RETURN(auto status,
                          ParseEnumWord<supv1::SupplierStatus>("status", s, "SUPPLIER_STATUS_"));
    request.add_statuses(status);
  }
  request.set_category(args.Get("category"));
  request.set_name_contains(args.Get("search"));
  request.set_assignment_group(args.Get("group"));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
  request.mutable_page()->set_page_size(limit);
  request.mutable_page()->set_page_token(args.Get("page-token"));
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::ListSuppliersResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListSuppliers(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::vector<const supv1::Supplier*> shown;
  for (const auto& s : response.suppliers()) shown.push_back(&s);
  PrintSuppliers(shown);
  if (!response.next_page_token().empty()) {
    std::printf("more: --page-token %s\n", response.next_page_token().c_str());
  }
  return absl::OkStatus();
}

// ---- Contracts ----

void PrintContracts(const std::vector<const supv1::Contract*>& contracts) {
  std::vector<std::vector<std::string>> rows;
  for (const auto* c : contracts) {
    rows.push_back(
        {c->number(), c->title(), EnumWord(supv1::ContractType_Name(c->type()), "CONTRACT_TYPE_"),
         EnumWord(supv1::ContractState_Name(c->state()), "CONTRACT_STATE_"), c->start_date(),
         c->end_date(), EnumWord(supv1::RenewalKind_Name(c->renewal_kind()), "RENEWAL_KIND_"),
         FormatPeriod(c->notice_period()),
         c->value().currency().empty()
             ? "-"
             : absl::StrCat(FormatAmount(c->value()), " ", c->value().currency()),
         absl::StrJoin(c->services(), ",")});
  }
  PrintTable({"NUMBER", "TITLE", "TYPE", "STATE", "START", "END", "RENEWAL", "NOTICE", "VALUE",
              "SERVICES"},
             rows);
}

absl::Status CreateContract(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown({"supplier", "title",   "type",         "state",       "start",
                      "end",      "zone",    "value",        "currency",    "payment",
                      "notice",   "renewal", "renewal-term", "service",     "ci",
                      "uc",       "party",   "document",     "description", "idempotency-key"}));
  supv1::CreateContractRequest request;
  supv1::Contract* c = request.mutable_contract();
  c->set_supplier_id(args.Get("supplier"));
  c->set_title(args.Get("title"));
  if (args.Has("type")) {
    ITSM_ASSIGN_OR_RETURN(
        auto type, ParseEnumWord<supv1::ContractType>("type", args.Get("type"), "CONTRACT_TYPE_"));
    c->set_type(type);
  }
  if (args.Has("state")) {
    ITSM_ASSIGN_OR_RETURN(auto state, ParseEnumWord<supv1::ContractState>(
                                          "state", args.Get("state"), "CONTRACT_STATE_"));
    c->set_state(state);
  }
  c->set_start_date(args.Get("start"));
  c->set_end_date(args.Get("end"));
  c->set_time_zone(args.Get("zone"));
  if (args.Has("value")) {
    const std::string currency = args.Get("currency");
    if (currency.empty()) return absl::InvalidArgumentError("--currency: required with --value");
    ITSM_ASSIGN_OR_RETURN(int64_t minor, ParseAmount("value", args.Get("value"), currency));
    c->mutable_value()->set_currency(currency);
    c->mutable_value()->set_minor_units(minor);
  }
  if (args.Has("payment")) {
    ITSM_ASSIGN_OR_RETURN(auto payment, ParseEnumWord<supv1::PaymentSchedule>(
                                            "payment", args.Get("payment"), "PAYMENT_SCHEDULE_"));
    c->set_payment_schedule(payment);
  }
  if (args.Has("notice")) {
    ITSM_ASSIGN_OR_RETURN(*c->mutable_notice_period(), ParsePeriod("notice", args.Get("notice")));
  }
  if (args.Has("renewal")) {
    ITSM_ASSIGN_OR_RETURN(auto renewal, ParseEnumWord<supv1::RenewalKind>(
                                            "renewal", args.Get("renewal"), "RENEWAL_KIND_"));
    c->set_renewal_kind(renewal);
  }
  if (args.Has("renewal-term")) {
    ITSM_ASSIGN_OR_RETURN(*c->mutable_renewal_term(),
                          ParsePeriod("renewal-term", args.Get("renewal-term")));
  }
  for (const auto& v : args.GetAll("service")) c->add_services(v);
  for (const auto& v : args.GetAll("ci")) c->add_configuration_item_ids(v);
  for (const auto& v : args.GetAll("uc")) c->add_uc_definition_ids(v);
  for (const auto& v : args.GetAll("party")) c->add_parties(v);
  for (const auto& v : args.GetAll("document")) {  // "title=uri"
    std::vector<std::string> parts = absl::StrSplit(v, absl::MaxSplits('=', 1));
    auto* d = c->add_documents();
    d->set_title(parts[0]);
    if (parts.size() > 1) d->set_uri(parts[1]);
  }
  c->set_description(args.Get("description"));
  request.set_idempotency_key(args.Get("idempotency-key"));
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::CreateContractResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateContract(ctx.NewCall().get(), request, &response)));
  if (!PrintedAsJson(ctx, response.contract())) PrintContracts({&response.contract()});
  return absl::OkStatus();
}

absl::Status GetContract(const Context& ctx, const Args& args) {
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError("usage: itsmctl supplier contract get <id or number>");
  }
  supv1::GetContractRequest request;
  request.set_id(args.positionals()[0]);
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::GetContractResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetContract(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response.contract())) return absl::OkStatus();
  const supv1::Contract& c = response.contract();
  PrintContracts({&c});
  if (!c.uc_definition_ids().empty()) {
    std::printf("underpinning contracts: %s\n", absl::StrJoin(c.uc_definition_ids(), ", ").c_str());
  }
  if (!c.configuration_item_ids().empty()) {
    std::printf("CIs: %s\n", absl::StrJoin(c.configuration_item_ids(), ", ").c_str());
  }
  std::printf("renewed %d times; version %lld\n", c.renewal_count(),
              static_cast<long long>(c.version()));
  return absl::OkStatus();
}

absl::Status ListContracts(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown(
      {"supplier", "state", "type", "service", "ends-before", "limit", "page-token"}));
  supv1::ListContractsRequest request;
  request.set_supplier_id(args.Get("supplier"));
  for (const auto& s : args.GetAll("state")) {
    ITSM_ASSIGN_OR_RETURN(auto state,
                          ParseEnumWord<supv1::ContractState>("state", s, "CONTRACT_STATE_"));
    request.add_states(state);
  }
  if (args.Has("type")) {
    ITSM_ASSIGN_OR_RETURN(
        auto type, ParseEnumWord<supv1::ContractType>("type", args.Get("type"), "CONTRACT_TYPE_"));
    request.set_type(type);
  }
  request.set_service(args.Get("service"));
  request.set_ends_before(args.Get("ends-before"));
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 50));
  request.mutable_page()->set_page_size(limit);
  request.mutable_page()->set_page_token(args.Get("page-token"));
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::ListContractsResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListContracts(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::vector<const supv1::Contract*> shown;
  for (const auto& c : response.contracts()) shown.push_back(&c);
  PrintContracts(shown);
  if (!response.next_page_token().empty()) {
    std::printf("more: --page-token %s\n", response.next_page_token().c_str());
  }
  return absl::OkStatus();
}

absl::Status ContractCommand(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty())
    return absl::InvalidArgumentError("usage: itsmctl supplier contract create|get|history|list");
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  if (argv[0] == "create") return CreateContract(ctx, args);
  if (argv[0] == "get") return GetContract(ctx, args);
  if (argv[0] == "history") {
    return History(ctx, args, "usage: itsmctl supplier contract history <id or number>");
  }
  if (argv[0] == "list") return ListContracts(ctx, args);
  return absl::InvalidArgumentError(absl::StrCat("unknown contract command \"", argv[0], "\""));
}

// ---- Deadlines and reviews ----

absl::Status Deadlines(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"supplier", "due-before", "limit"}));
  supv1::ListDeadlinesRequest request;
  request.set_supplier_id(args.Get("supplier"));
  if (args.Has("due-before")) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, args.Get("due-before"), &t, &err)) {
      return absl::InvalidArgumentError("--due-before: not RFC 3339 (2026-12-01T00:00:00Z)");
    }
    *request.mutable_due_before() = base::ToProtoTimestamp(t);
  }
  ITSM_ASSIGN_OR_RETURN(int limit, args.GetInt("limit", 100));
  request.mutable_page()->set_page_size(limit);
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::ListDeadlinesResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListDeadlines(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : response.deadlines()) {
    rows.push_back({When(d.due_time()),
                    EnumWord(supv1::DeadlineKind_Name(d.kind()), "DEADLINE_KIND_"),
                    d.lead_days() == 0 ? "-" : absl::StrCat(d.lead_days(), "d"),
                    When(d.deadline_time()), d.record_id()});
  }
  PrintTable({"DUE", "KIND", "LEAD", "DEADLINE", "RECORD"}, rows);
  return absl::OkStatus();
}

// --action "description|owner|YYYY-MM-DD"
absl::Status Review(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"date", "participant", "findings", "action", "next"}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(
        "usage: itsmctl supplier review <supplier> --date YYYY-MM-DD [--participant P]... "
        "[--findings F] [--action \"what|owner|YYYY-MM-DD\"]... [--next YYYY-MM-DD]");
  }
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  // The review changes the supplier (its next review date): it carries the version read now.
  ITSM_ASSIGN_OR_RETURN(supv1::Supplier s, FetchSupplier(ctx, *stub, args.positionals()[0]));
  supv1::RecordReviewRequest request;
  supv1::Review* r = request.mutable_review();
  r->set_supplier_id(s.id());
  r->set_review_date(args.Get("date"));
  for (const auto& p : args.GetAll("participant")) r->add_participants(p);
  r->set_findings(args.Get("findings"));
  for (const auto& a : args.GetAll("action")) {
    std::vector<std::string> parts = absl::StrSplit(a, '|');
    if (parts.size() > 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("--action: \"what|owner|YYYY-MM-DD\", three parts at most, got ",
                       parts.size(), " (a '|' in the text cannot be given here: use the API)"));
    }
    auto* action = r->add_actions();
    action->set_description(parts[0]);
    if (parts.size() > 1) action->set_owner(parts[1]);
    if (parts.size() > 2) action->set_due_date(parts[2]);
  }
  request.set_next_review_date(args.Get("next"));
  request.set_supplier_version(s.version());
  supv1::RecordReviewResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->RecordReview(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::printf("review %s of %s recorded; next review %s\n", response.review().review_date().c_str(),
              response.supplier().number().c_str(),
              response.supplier().next_review_date().empty()
                  ? "not planned"
                  : response.supplier().next_review_date().c_str());
  return absl::OkStatus();
}

// ---- Scorecards ----

std::string Dur(const google::protobuf::Duration& d, int64_t count) {
  if (count == 0) return "-";
  return absl::FormatDuration(absl::Seconds(absl::ToInt64Seconds(base::FromProtoDuration(d))));
}

std::string BasisPoints(int32_t bp) { return absl::StrFormat("%d.%02d%%", bp / 100, bp % 100); }

std::vector<std::string> ScorecardRow(const std::string& label, const supv1::ScorecardPeriod& p) {
  return {label,
          absl::StrCat(p.incidents()),
          absl::StrCat(p.caused_incidents()),
          absl::StrCat(p.responded()),
          Dur(p.response_p50(), p.responded()),
          Dur(p.response_p90(), p.responded()),
          absl::StrCat(p.resolved()),
          Dur(p.resolution_p50(), p.resolved()),
          Dur(p.resolution_p90(), p.resolved()),
          p.resolved() == 0 ? "-" : BasisPoints(p.reopen_rate_bp()),
          absl::StrCat(p.uc_clocks_met()),
          absl::StrCat(p.uc_clocks_breached()),
          p.uc_compliance_bp() < 0 ? "-" : BasisPoints(p.uc_compliance_bp())};
}

// A difference with its sign ("+3", "-1h0m0s", "0"), or "-" when there is none.
std::string Signed(int64_t v) { return v > 0 ? absl::StrCat("+", v) : absl::StrCat(v); }
std::string SignedDur(const google::protobuf::Duration& d, bool known) {
  if (!known) return "-";
  const absl::Duration v = base::FromProtoDuration(d);
  return v > absl::ZeroDuration() ? absl::StrCat("+", absl::FormatDuration(v))
                                  : absl::FormatDuration(v);
}
std::string SignedBp(int32_t bp, bool known) {
  if (!known) return "-";
  const std::string magnitude = BasisPoints(bp < 0 ? -bp : bp);
  return absl::StrCat(bp > 0 ? "+" : (bp < 0 ? "-" : ""), magnitude);
}

absl::Status Scorecard(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"from", "to", "zone"}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(
        "usage: itsmctl supplier scorecard <supplier> [--from YYYY-MM --to YYYY-MM] [--zone TZ]");
  }
  supv1::GetScorecardRequest request;
  request.set_supplier_id(args.positionals()[0]);
  request.set_from_month(args.Get("from"));
  request.set_to_month(args.Get("to"));
  request.set_time_zone(args.Get("zone"));
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::GetScorecardResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetScorecard(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::printf("%s %s\n", response.supplier().number().c_str(), response.supplier().name().c_str());
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : response.periods()) rows.push_back(ScorecardRow(p.month(), p));
  rows.push_back(ScorecardRow("TOTAL", response.total()));
  if (response.periods_size() >= 2) {
    // The trend: the last month against the one before; "-" where a month had nothing to compare.
    const auto& last = response.periods(response.periods_size() - 1);
    const auto& before = response.periods(response.periods_size() - 2);
    const auto& t = response.trend();
    const bool responded = last.responded() > 0 && before.responded() > 0;
    const bool resolved = last.resolved() > 0 && before.resolved() > 0;
    rows.push_back({"TREND", Signed(t.incidents()), Signed(t.caused_incidents()),
                    Signed(t.responded()), SignedDur(t.response_p50(), responded),
                    SignedDur(t.response_p90(), responded), Signed(t.resolved()),
                    SignedDur(t.resolution_p50(), resolved),
                    SignedDur(t.resolution_p90(), resolved), SignedBp(t.reopen_rate_bp(), resolved),
                    Signed(t.uc_clocks_met()), Signed(t.uc_clocks_breached()),
                    SignedBp(t.uc_compliance_bp(),
                             last.uc_compliance_bp() >= 0 && before.uc_compliance_bp() >= 0)});
  }
  PrintTable({"MONTH", "INCIDENTS", "CAUSED", "RESPONDED", "RESP P50", "RESP P90", "RESOLVED",
              "RES P50", "RES P90", "REOPENED", "UC MET", "UC BREACHED", "UC COMPLIANCE"},
             rows);
  return absl::OkStatus();
}

// ---- Costs and budgets ----

// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string out = "\"";
  for (char ch : field) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  return out + "\"";
}

absl::Status Costs(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"service", "from", "to", "csv"}));
  supv1::GetServiceCostsRequest request;
  request.set_service(args.Get("service"));
  request.set_from_month(args.Get("from"));
  request.set_to_month(args.Get("to"));
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::GetServiceCostsResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetServiceCosts(ctx.NewCall().get(), request, &response)));
  if (args.Has("csv")) {
    // Amounts in major units as exact decimals; the currency in its own column.
    std::printf("service,month,currency,cost,budget,contracts\n");
    for (const auto& c : response.costs()) {
      std::printf("%s,%s,%s,%s,%s,%d\n", Csv(c.service()).c_str(), c.month().c_str(),
                  c.cost().currency().c_str(), FormatAmount(c.cost()).c_str(),
                  c.budgeted() ? FormatAmount(c.budget()).c_str() : "", c.contracts());
    }
    return absl::OkStatus();
  }
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : response.costs()) {
    std::string variance = "-";
    if (c.budgeted() && c.budget().currency() == c.cost().currency()) {
      supv1::Money left = c.budget();
      left.set_minor_units(c.budget().minor_units() - c.cost().minor_units());
      variance = FormatAmount(left);
    }
    rows.push_back({c.service(), c.month(), c.cost().currency(), FormatAmount(c.cost()),
                    c.budgeted() ? FormatAmount(c.budget()) : "-", variance,
                    absl::StrCat(c.contracts())});
  }
  PrintTable({"SERVICE", "MONTH", "CURRENCY", "COST", "BUDGET", "BUDGET LEFT", "CONTRACTS"}, rows);
  return absl::OkStatus();
}

absl::Status Budget(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"service", "month", "amount", "currency"}));
  supv1::SetServiceBudgetRequest request;
  request.set_service(args.Get("service"));
  request.set_month(args.Get("month"));
  const std::string currency = args.Get("currency");
  if (currency.empty()) return absl::InvalidArgumentError("--currency: required");
  ITSM_ASSIGN_OR_RETURN(int64_t minor, ParseAmount("amount", args.Get("amount"), currency));
  request.mutable_budget()->set_currency(currency);
  request.mutable_budget()->set_minor_units(minor);
  ITSM_ASSIGN_OR_RETURN(auto stub, NewStub(ctx));
  supv1::SetServiceBudgetResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->SetServiceBudget(ctx.NewCall().get(), request, &response)));
  if (PrintedAsJson(ctx, response)) return absl::OkStatus();
  std::printf("budget of %s for %s: %s %s\n", response.service().c_str(), response.month().c_str(),
              FormatAmount(response.budget()).c_str(), response.budget().currency().c_str());
  return absl::OkStatus();
}

}  // namespace

absl::Status RunSupplier(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl supplier create|get|history|list|contract|deadlines|review|scorecard|costs|"
        "budget ...");
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "contract") return ContractCommand(ctx, rest);
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse(rest, {"csv"}));
  for (const char* takes_no_word : {"create", "list", "deadlines", "costs", "budget"}) {
    if (argv[0] == takes_no_word) ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  }
  if (argv[0] == "create") return CreateSupplier(ctx, args);
  if (argv[0] == "get") return GetSupplier(ctx, args);
  if (argv[0] == "history") {
    return History(ctx, args, "usage: itsmctl supplier history <id or number>");
  }
  if (argv[0] == "list") return ListSuppliers(ctx, args);
  if (argv[0] == "deadlines") return Deadlines(ctx, args);
  if (argv[0] == "review") return Review(ctx, args);
  if (argv[0] == "scorecard") return Scorecard(ctx, args);
  if (argv[0] == "costs") return Costs(ctx, args);
  if (argv[0] == "budget") return Budget(ctx, args);
  return absl::InvalidArgumentError(absl::StrCat("unknown supplier command \"", argv[0], "\""));
}

}  // namespace itsm::ctl
