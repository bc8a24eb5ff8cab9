// itsmctl sla: calendars, SLA definitions, due times, SLA status of an incident, compliance.
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/incident.grpc.pb.h"
#include "itsm/sla/v1/sla.grpc.pb.h"

namespace itsm::ctl {
namespace {

namespace slav1 = ::itsm::sla::v1;

absl::StatusOr<absl::Duration> ParseDur(const std::string& flag, const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not a positive duration (30m, 4h, 1h30m)"));
  }
  return d;
}

google::protobuf::Duration ToProto(absl::Duration d) {
  google::protobuf::Duration out;
  out.set_seconds(absl::ToInt64Seconds(d));
  return out;
}

absl::StatusOr<absl::Time> ParseTime(const std::string& flag, const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not RFC 3339 (2026-11-20T16:30:00+03:00)"));
  }
  return t;
}

absl::StatusOr<slav1::TimeOfDay> ParseTod(const std::string& flag, absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  slav1::TimeOfDay t;
  int v[3] = {0, 0, 0};
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": \"", text, "\" is not HH:MM"));
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!absl::SimpleAtoi(parts[i], &v[i])) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": \"", text, "\" is not HH:MM"));
    }
  }
  t.set_hours(v[0]);
  t.set_minutes(v[1]);
  t.set_seconds(v[2]);
  return t;
}

// "09:00-18:00" -> start, end
absl::Status ParseRange(const std::string& flag, absl::string_view text, slav1::TimeOfDay* start,
                        slav1::TimeOfDay* end) {
  std::vector<absl::string_view> se = absl::StrSplit(text, '-');
  if (se.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not HH:MM-HH:MM"));
  }
  ITSM_ASSIGN_OR_RETURN(*start, ParseTod(flag, se[0]));
  ITSM_ASSIGN_OR_RETURN(*end, ParseTod(flag, se[1]));
  return absl::OkStatus();
}

absl::StatusOr<int> ParseWeekday(absl::string_view s) {
  static const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  const std::string lower = absl::AsciiStrToLower(s);
  for (int i = 0; i < 7; ++i) {
    if (lower.rfind(kDays[i], 0) == 0) return i + 1;  // WEEKDAY_MONDAY = 1
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--hours: \"", s, "\" is not a weekday (mon..sun)"));
}

// --hours "mon-fri 09:00-18:00" | "sat,sun 10:00-14:00" | "fri 22:00-06:00"
absl::Status AddHours(slav1::Calendar& c, const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--hours: \"", text, "\" is not \"DAYS HH:MM-HH:MM\" (e.g. \"mon-fri 09:00-18:00\")"));
  }
  std::vector<int> days;
  for (absl::string_view group : absl::StrSplit(parts[0], ',')) {
    std::vector<absl::string_view> range = absl::StrSplit(group, '-');
    ITSM_ASSIGN_OR_RETURN(int first, ParseWeekday(range[0]));
    int last = first;
    if (range.size() == 2) {
      ITSM_ASSIGN_OR_RETURN(last, ParseWeekday(range[1]));
    }
    for (int d = first;; d = d % 7 + 1) {
      days.push_back(d);
      if (d == last) break;
    }
  }
  slav1::TimeOfDay start, end;
  ITSM_RETURN_IF_ERROR(ParseRange("hours", parts[1], &start, &end));
  for (int d : days) {
    auto* w = c.add_weekly_hours();
    w->set_day(static_cast<slav1::Weekday>(d));
    *w->mutable_start() = start;
    *w->mutable_end() = end;
  }
  return absl::OkStatus();
}

absl::StatusOr<slav1::Date> ParseDate(const std::string& flag, absl::string_view text) {
  std::vector<absl::string_view> ymd = absl::StrSplit(text, '-');
  int y = 0, m = 0, d = 0;
  if (ymd.size() != 3 || !absl::SimpleAtoi(ymd[0], &y) || !absl::SimpleAtoi(ymd[1], &m) ||
      !absl::SimpleAtoi(ymd[2], &d)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not YYYY-MM-DD"));
  }
  slav1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

absl::StatusOr<incident::v1::Priority> Priority(const std::string& s) {
  incident::v1::Priority p;
  if (!incident::v1::Priority_Parse("PRIORITY_" + absl::AsciiStrToUpper(s), &p) ||
      p == incident::v1::PRIORITY_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat("--priority: expected P1..P5, got \"", s, "\""));
  }
  return p;
}

std::string PriorityName(incident::v1::Priority p) {
  return p == incident::v1::PRIORITY_UNSPECIFIED ? "" : absl::StrCat("P", static_cast<int>(p));
}

std::string KindName(slav1::AgreementKind k) {
  switch (k) {
    case slav1::AGREEMENT_KIND_SLA:
      return "SLA";
    case slav1::AGREEMENT_KIND_OLA:
      return "OLA";
    case slav1::AGREEMENT_KIND_UNDERPINNING_CONTRACT:
      return "UC";
    default:
      return "";
  }
}

absl::StatusOr<slav1::AgreementKind> ParseKind(const std::string& s) {
  const std::string k = absl::AsciiStrToLower(s);
  if (k == "sla") return slav1::AGREEMENT_KIND_SLA;
  if (k == "ola") return slav1::AGREEMENT_KIND_OLA;
  if (k == "uc" || k == "underpinning") return slav1::AGREEMENT_KIND_UNDERPINNING_CONTRACT;
  return absl::InvalidArgumentError(
      absl::StrCat("--kind: expected sla, ola or uc, got \"", s, "\""));
}

// A calendar's or a definition's trail, as a table (the answer as JSON with --json).
template <typename Request, typename Response>
absl::Status History(const Context& ctx, const Args& args, const char* usage,
                     slav1::SlaService::Stub& stub,
                     grpc::Status (slav1::SlaService::Stub::*call)(grpc::ClientContext*,
                                                                   const Request&, Response*)) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
  if (args.positionals().size() != 1) return absl::InvalidArgumentError(usage);
  Request request;
  request.set_id(args.positionals()[0]);
  request.mutable_page()->set_page_size(1000);
  Response response;
  ITSM_RETURN_IF_ERROR(FromGrpc((stub.*call)(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
  } else {
    PrintAuditTrail(response.entries());
  }
  return absl::OkStatus();
}

// --- calendars --------------------------------------------------------------------------------

void PrintCalendar(const slav1::Calendar& c) {
  static const char* kDays[] = {"?", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  auto tod = [](const slav1::TimeOfDay& t) {
    return t.seconds() ? absl::StrFormat("%02d:%02d:%02d", t.hours(), t.minutes(), t.seconds())
                       : absl::StrFormat("%02d:%02d", t.hours(), t.minutes());
  };
  auto date = [](const slav1::Date& d) {
    return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
  };
  std::vector<std::vector<std::string>> rows = {{"id", c.id()},
                                                {"name", c.name()},
                                                {"version", absl::StrCat(c.version())},
                                                {"time zone", c.time_zone()}};
  if (c.always_open()) rows.push_back({"hours", "24x7"});
  for (const auto& w : c.weekly_hours()) {
    rows.push_back({"hours", absl::StrCat(kDays[w.day() >= 1 && w.day() <= 7 ? w.day() : 0], " ",
                                          tod(w.start()), "-", tod(w.end()))});
  }
  for (const auto& h : c.holidays()) {
    std::string when = date(h.date());
    for (const auto& i : h.closed_intervals())
      absl::StrAppend(&when, " ", tod(i.start()), "-", tod(i.end()));
    if (h.closed_intervals_size() == 0) absl::StrAppend(&when, " all day");
    rows.push_back({"holiday", absl::StrCat(when, h.name().empty() ? "" : "  " + h.name())});
  }
  for (const auto& e : c.extra_working_days()) {
    std::string when = date(e.date());
    for (const auto& i : e.open_intervals())
      absl::StrAppend(&when, " ", tod(i.start()), "-", tod(i.end()));
    rows.push_back({"extra day", when});
  }
  PrintTable({"FIELD", "VALUE"}, rows);
}

absl::Status CalendarCommand(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty())
    return absl::InvalidArgumentError("usage: itsmctl sla calendar create|get|history|list ...");
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse({argv.begin() + 1, argv.end()}, {"24x7"}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("sla"));
  auto stub = slav1::SlaService::NewStub(channel);
  if (argv[0] == "create") {
    ITSM_RETURN_IF_ERROR(
        args.OnlyKnown({"name", "zone", "hours", "24x7", "holiday", "extra", "description"}));
    slav1::Calendar c;
    c.set_name(args.Get("name"));
    c.set_description(args.Get("description"));
    c.set_time_zone(args.Get("zone"));
    c.set_always_open(args.Has("24x7"));
    for (const auto& h : args.GetAll("hours")) ITSM_RETURN_IF_ERROR(AddHours(c, h));
    // --holiday 2026-12-31 | 2026-12-31@13:00-24:00 | "2026-01-01=New Year"
    for (const auto& raw : args.GetAll("holiday")) {
      std::vector<std::string> name_split = absl::StrSplit(raw, absl::MaxSplits('=', 1));
      std::vector<std::string> at = absl::StrSplit(name_split[0], absl::MaxSplits('@', 1));
      auto* h = c.add_holidays();
      ITSM_ASSIGN_OR_RETURN(*h->mutable_date(), ParseDate("holiday", at[0]));
      if (name_split.size() == 2) h->set_name(name_split[1]);
      if (at.size() == 2) {
        auto* i = h->add_closed_intervals();
        ITSM_RETURN_IF_ERROR(ParseRange("holiday", at[1], i->mutable_start(), i->mutable_end()));
      }
    }
    // --extra 2026-04-04@10:00-14:00
    for (const auto& raw : args.GetAll("extra")) {
      std::vector<std::string> at = absl::StrSplit(raw, absl::MaxSplits('@', 1));
      if (at.size() != 2) {
        return absl::InvalidArgumentError(
            absl::StrCat("--extra: \"", raw, "\" is not YYYY-MM-DD@HH:MM-HH:MM"));
      }
      auto* e = c.add_extra_working_days();
      ITSM_ASSIGN_OR_RETURN(*e->mutable_date(), ParseDate("extra", at[0]));
      auto* i = e->add_open_intervals();
      ITSM_RETURN_IF_ERROR(ParseRange("extra", at[1], i->mutable_start(), i->mutable_end()));
    }
    slav1::CreateCalendarRequest request;
    *request.mutable_calendar() = c;
    slav1::CreateCalendarResponse response;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->CreateCalendar(ctx.NewCall().get(), request, &response)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(response.calendar()).c_str());
    } else {
      std::printf("created calendar \"%s\" version 1  id %s\n", response.calendar().name().c_str(),
                  response.calendar().id().c_str());
    }
    return absl::OkStatus();
  }
  if (argv[0] == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"version"}));
    if (args.positionals().size() != 1) {
      return absl::InvalidArgumentError(
          "usage: itsmctl sla calendar get <id or name> [--version N]");
    }
    slav1::GetCalendarRequest request;
    request.set_id(args.positionals()[0]);
    ITSM_ASSIGN_OR_RETURN(int64_t version, args.GetVersion());
    request.set_version(version);
    slav1::GetCalendarResponse response;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetCalendar(ctx.NewCall().get(), request, &response)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(response.calendar()).c_str());
    } else {
      PrintCalendar(response.calendar());
    }
    return absl::OkStatus();
  }
  if (argv[0] == "history") {
    return History(ctx, args, "usage: itsmctl sla calendar history <id or name>", *stub,
                   &slav1::SlaService::Stub::GetCalendarHistory);
  }
  if (argv[0] == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    slav1::ListCalendarsRequest request;
    request.mutable_page()->set_page_size(500);
    std::vector<std::vector<std::string>> rows;
    slav1::ListCalendarsResponse all;
    do {
      slav1::ListCalendarsResponse response;
      ITSM_RETURN_IF_ERROR(FromGrpc(stub->ListCalendars(ctx.NewCall().get(), request, &response)));
      for (const auto& c : response.calendars()) {
        *all.add_calendars() = c;
        rows.push_back({c.name(), c.time_zone(), absl::StrCat(c.version()),
                        absl::StrCat(c.holidays_size()), c.id()});
      }
      request.mutable_page()->set_page_token(response.next_page_token());
    } while (!request.page().page_token().empty());
    if (ctx.globals().json) {
      std::printf("%s", ToJson(all).c_str());
    } else {
      PrintTable({"NAME", "ZONE", "VERSION", "HOLIDAYS", "ID"}, rows);
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown sla calendar command \"", argv[0], "\""));
}

// --- definitions ------------------------------------------------------------------------------

// "2bd": two business days (docs/sla.md 2.1); 0 when `text` is a duration.
absl::StatusOr<int> BusinessDays(const std::string& text) {
  if (!absl::EndsWith(text, "bd")) return 0;
  int days = 0;
  if (!absl::SimpleAtoi(text.substr(0, text.size() - 2), &days) || days <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target: \"", text, "\" is not a positive number of business days (2bd)"));
  }
  return days;
}

// --target P1:response=30m,resolve=4h (or resolve=2bd: two business days)
absl::Status AddTarget(slav1::SlaDefinition& d, const std::string& text) {
  std::vector<std::string> pt = absl::StrSplit(text, absl::MaxSplits(':', 1));
  if (pt.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("--target: \"", text, "\" is not P1:response=30m,resolve=4h"));
  }
  auto* t = d.add_targets();
  ITSM_ASSIGN_OR_RETURN(auto p, Priority(pt[0]));
  t->set_priority(p);
  for (absl::string_view kv : absl::StrSplit(pt[1], ',')) {
    std::vector<std::string> parts = absl::StrSplit(kv, absl::MaxSplits('=', 1));
    if (parts.size() != 2)
      return absl::InvalidArgumentError(
          absl::StrCat("--target: \"", kv, "\" is not name=duration"));
    ITSM_ASSIGN_OR_RETURN(int days, BusinessDays(parts[1]));
    absl::Duration dur;
    if (days == 0) {
      ITSM_ASSIGN_OR_RETURN(dur, ParseDur("target", parts[1]));
    }
    if (parts[0] == "response" || parts[0] == "respond") {
      if (days > 0) {
        t->set_response_business_days(days);
      } else {
        *t->mutable_response_target() = ToProto(dur);
      }
    } else if (parts[0] == "resolve" || parts[0] == "resolution") {
      if (days > 0) {
        t->set_resolution_business_days(days);
      } else {
        *t->mutable_resolution_target() = ToProto(dur);
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--target: \"", parts[0], "\": expected response or resolve"));
    }
  }
  return absl::OkStatus();
}

void PrintDefinitions(const std::vector<slav1::SlaDefinition>& defs) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : defs) {
    std::vector<std::string> services(d.coverage().services().begin(),
                                      d.coverage().services().end());
    std::string targets;
    const auto shown = [](bool has, const google::protobuf::Duration& duration, int days) {
      if (has) return DurationText(duration);
      return days > 0 ? absl::StrCat(days, "bd") : std::string("-");
    };
    for (const auto& t : d.targets()) {
      absl::StrAppend(
          &targets, targets.empty() ? "" : " ", PriorityName(t.priority()), ":",
          shown(t.has_response_target(), t.response_target(), t.response_business_days()), "/",
          shown(t.has_resolution_target(), t.resolution_target(), t.resolution_business_days()));
    }
    rows.push_back({d.name(), KindName(d.kind()), absl::StrJoin(services, ","), targets,
                    d.retired() ? "retired" : "active", absl::StrCat(d.version()), d.id()});
  }
  PrintTable({"NAME", "KIND", "SERVICES", "TARGETS (respond/resolve)", "STATUS", "VERSION", "ID"},
             rows);
}

absl::Status DefinitionCommand(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty())
    return absl::InvalidArgumentError(
        "usage: itsmctl sla definition create|get|history|list|retire ...");
  ITSM_ASSIGN_OR_RETURN(Args args,
                        Args::Parse({argv.begin() + 1, argv.end()}, {"retroactive", "all"}));
  if (argv[0] == "create" || argv[0] == "list") ITSM_RETURN_IF_ERROR(args.NoMoreWordsThan(0));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("sla"));
  auto stub = slav1::SlaService::NewStub(channel);
  if (argv[0] == "create") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown(
        {"name",     "description",  "kind",       "customer",     "group",    "supplier",
         "service",  "ci-class",     "category",   "request-type", "calendar", "zone-source",
         "zone",     "target",       "thresholds", "from",         "until",    "retroactive",
         "day-rule", "measure-from", "record-kind"}));
    slav1::SlaDefinition d;
    d.set_name(args.Get("name"));
    // docs/sla.md 3.5: a definition for changes (conditions in change states).
    const std::string record_kind = args.Get("record-kind", "incident");
    if (record_kind == "change") {
      d.set_record_kind(slav1::RECORD_KIND_CHANGE);
    } else if (record_kind != "incident") {
      return absl::InvalidArgumentError(
          "--record-kind: incident (with service requests) or change");
    }
    d.set_description(args.Get("description"));
    ITSM_ASSIGN_OR_RETURN(auto kind, ParseKind(args.Get("kind", "sla")));
    d.set_kind(kind);
    d.set_customer(args.Get("customer"));
    d.set_internal_group(args.Get("group"));
    d.set_supplier_id(args.Get("supplier"));
    for (const auto& s : args.GetAll("service")) d.mutable_coverage()->add_services(s);
    for (const auto& s : args.GetAll("ci-class")) d.mutable_coverage()->add_ci_classes(s);
    for (const auto& s : args.GetAll("category")) d.mutable_coverage()->add_categories(s);
    for (const auto& s : args.GetAll("request-type")) d.mutable_coverage()->add_request_types(s);
    d.set_calendar_id(args.Get("calendar"));
    const std::string source = args.Get("zone-source", "definition");
    if (source == "caller") {
      d.set_time_zone_source(slav1::TIME_ZONE_SOURCE_CALLER);
    } else if (source == "ci") {
      d.set_time_zone_source(slav1::TIME_ZONE_SOURCE_CI_LOCATION);
    } else if (source == "definition") {
      d.set_time_zone_source(slav1::TIME_ZONE_SOURCE_DEFINITION);
    } else {
      return absl::InvalidArgumentError("--zone-source: expected definition, caller or ci");
    }
    d.set_time_zone(args.Get("zone"));
    for (const auto& t : args.GetAll("target")) ITSM_RETURN_IF_ERROR(AddTarget(d, t));
    if (args.Has("thresholds")) {
      for (absl::string_view p : absl::StrSplit(args.Get("thresholds"), ',')) {
        double v = 0;
        if (!absl::SimpleAtod(p, &v))
          return absl::InvalidArgumentError(
              absl::StrCat("--thresholds: \"", p, "\" is not a number"));
        d.add_warning_thresholds(v);
      }
    }
    if (args.Has("from")) {
      ITSM_ASSIGN_OR_RETURN(absl::Time t, ParseTime("from", args.Get("from")));
      *d.mutable_effective_from() = base::ToProtoTimestamp(t);
    }
    if (args.Has("until")) {
      ITSM_ASSIGN_OR_RETURN(absl::Time t, ParseTime("until", args.Get("until")));
      *d.mutable_effective_until() = base::ToProtoTimestamp(t);
    }
    d.set_retroactive_start(args.Has("retroactive"));
    const std::string day_rule = args.Get("day-rule", "end-of-day");
    if (day_rule == "same-time") {
      d.set_business_day_rule(slav1::BUSINESS_DAY_RULE_SAME_TIME_OF_DAY);
    } else if (day_rule != "end-of-day") {
      return absl::InvalidArgumentError("--day-rule: expected end-of-day or same-time");
    }
    const std::string measure_from = args.Get("measure-from", "start");
    if (measure_from == "creation") {
      // Both clock kinds; their other conditions stay unset (the defaults).
      d.mutable_response_conditions()->set_measure_from(slav1::MEASURE_FROM_RECORD_CREATION);
      d.mutable_resolution_conditions()->set_measure_from(slav1::MEASURE_FROM_RECORD_CREATION);
    } else if (measure_from != "start") {
      return absl::InvalidArgumentError("--measure-from: expected start or creation");
    }
    slav1::CreateSlaDefinitionRequest request;
    *request.mutable_definition() = d;
    slav1::CreateSlaDefinitionResponse response;
    ITSM_RETURN_IF_ERROR(
        FromGrpc(stub->CreateSlaDefinition(ctx.NewCall().get(), request, &response)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(response.definition()).c_str());
    } else {
      std::printf("created %s \"%s\"  id %s\n", KindName(response.definition().kind()).c_str(),
                  response.definition().name().c_str(), response.definition().id().c_str());
    }
    return absl::OkStatus();
  }
  if (argv[0] == "get") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"version"}));
    if (args.positionals().size() != 1) {
      return absl::InvalidArgumentError("usage: itsmctl sla definition get <id> [--version N]");
    }
    slav1::GetSlaDefinitionRequest request;
    request.set_id(args.positionals()[0]);
    ITSM_ASSIGN_OR_RETURN(int64_t version, args.GetVersion());
    request.set_version(version);
    slav1::GetSlaDefinitionResponse response;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetSlaDefinition(ctx.NewCall().get(), request, &response)));
    // A definition has nested conditions: JSON shows all of it faithfully.
    std::printf("%s", ToJson(response.definition()).c_str());
    return absl::OkStatus();
  }
  if (argv[0] == "history") {
    return History(ctx, args, "usage: itsmctl sla definition history <id>", *stub,
                   &slav1::SlaService::Stub::GetSlaDefinitionHistory);
  }
  if (argv[0] == "retire") {
    // Its running and paused clocks are cancelled at the retirement (docs/sla.md 2.2).
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
    if (args.positionals().size() != 1) {
      return absl::InvalidArgumentError("usage: itsmctl sla definition retire <id>");
    }
    slav1::GetSlaDefinitionRequest get;
    get.set_id(args.positionals()[0]);
    slav1::GetSlaDefinitionResponse current;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetSlaDefinition(ctx.NewCall().get(), get, &current)));
    slav1::UpdateSlaDefinitionRequest request;
    *request.mutable_definition() = current.definition();
    request.mutable_definition()->set_retired(true);
    slav1::UpdateSlaDefinitionResponse response;
    ITSM_RETURN_IF_ERROR(
        FromGrpc(stub->UpdateSlaDefinition(ctx.NewCall().get(), request, &response)));
    if (ctx.globals().json) {
      std::printf("%s", ToJson(response.definition()).c_str());
    } else {
      std::printf("retired \"%s\" (version %lld)\n", response.definition().name().c_str(),
                  static_cast<long long>(response.definition().version()));
    }
    return absl::OkStatus();
  }
  if (argv[0] == "list") {
    ITSM_RETURN_IF_ERROR(args.OnlyKnown({"service", "kind", "all"}));
    slav1::ListSlaDefinitionsRequest request;
    request.set_service(args.Get("service"));
    if (args.Has("kind")) {
      ITSM_ASSIGN_OR_RETURN(auto kind, ParseKind(args.Get("kind")));
      request.set_kind(kind);
    }
    request.set_include_retired(args.Has("all"));
    request.mutable_page()->set_page_size(500);
    std::vector<slav1::SlaDefinition> all;
    do {
      slav1::ListSlaDefinitionsResponse response;
      ITSM_RETURN_IF_ERROR(
          FromGrpc(stub->ListSlaDefinitions(ctx.NewCall().get(), request, &response)));
      all.insert(all.end(), response.definitions().begin(), response.definitions().end());
      request.mutable_page()->set_page_token(response.next_page_token());
    } while (!request.page().page_token().empty());
    if (ctx.globals().json) {
      slav1::ListSlaDefinitionsResponse out;
      for (auto& d : all) *out.add_definitions() = d;
      std::printf("%s", ToJson(out).c_str());
    } else {
      PrintDefinitions(all);
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown sla definition command \"", argv[0], "\""));
}

// --- due, status, report ----------------------------------------------------------------------

absl::Status DueCommand(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(
      args.OnlyKnown({"service", "priority", "kind", "clock", "definition", "calendar", "target",
                      "start", "caller-zone", "ci-zone", "ci"}));
  slav1::GetDueTimeRequest request;
  request.set_service(args.Get("service"));
  request.set_definition_id(args.Get("definition"));
  request.set_calendar_id(args.Get("calendar"));
  if (args.Has("priority")) {
    ITSM_ASSIGN_OR_RETURN(auto p, Priority(args.Get("priority")));
    request.set_priority(p);
  }
  if (args.Has("kind")) {
    ITSM_ASSIGN_OR_RETURN(auto kind, ParseKind(args.Get("kind")));
    request.set_kind(kind);
  }
  const std::string clock = args.Get("clock", "resolution");
  if (clock != "response" && clock != "resolution") {
    return absl::InvalidArgumentError("--clock: expected response or resolution");
  }
  request.set_clock_kind(clock == "response" ? slav1::CLOCK_KIND_RESPONSE
                                             : slav1::CLOCK_KIND_RESOLUTION);
  if (args.Has("target")) {
    ITSM_ASSIGN_OR_RETURN(absl::Duration d, ParseDur("target", args.Get("target")));
    *request.mutable_target() = ToProto(d);
  }
  if (args.Has("start")) {
    ITSM_ASSIGN_OR_RETURN(absl::Time t, ParseTime("start", args.Get("start")));
    *request.mutable_start_time() = base::ToProtoTimestamp(t);
  }
  request.set_caller_time_zone(args.Get("caller-zone"));
  request.set_ci_time_zone(args.Get("ci-zone"));
  request.set_ci_id(args.Get("ci"));
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("sla"));
  auto stub = slav1::SlaService::NewStub(channel);
  slav1::GetDueTimeResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetDueTime(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
    return absl::OkStatus();
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(response.time_zone(), &tz)) tz = absl::UTCTimeZone();
  std::vector<std::vector<std::string>> rows = {
      {"definition", response.definition().name().empty() ? "-" : response.definition().name()},
      {"target", absl::StrCat(DurationText(response.target()), " of business time (", clock, ")")},
      {"calendar zone", response.time_zone()},
      {"start", When(response.start_time(), tz)},
      {"due", When(response.due_time(), tz)}};
  for (const auto& w : response.warnings()) {
    rows.push_back({absl::StrCat("warning ", w.percent(), "%"), When(w.time(), tz)});
  }
  PrintTable({"FIELD", "VALUE"}, rows);
  return absl::OkStatus();
}

absl::Status StatusCommand(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({}));
  if (args.positionals().size() != 1)
    return absl::InvalidArgumentError(
        "usage: itsmctl sla status <incident or request: id or number>");
  slav1::GetIncidentSlaStatusRequest request;
  ITSM_ASSIGN_OR_RETURN(std::string id, RecordIdOf(ctx, args.positionals()[0]));
  request.set_incident_id(id);
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("sla"));
  auto stub = slav1::SlaService::NewStub(channel);
  slav1::GetIncidentSlaStatusResponse response;
  ITSM_RETURN_IF_ERROR(
      FromGrpc(stub->GetIncidentSlaStatus(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : response.clocks()) {
    // In the clock's own zone, named: a due time belongs to the hours it was counted in.
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(c.time_zone(), &tz)) tz = absl::UTCTimeZone();
    rows.push_back(
        {c.sla_definition_name().empty() ? c.sla_definition_id() : c.sla_definition_name(),
         c.clock_kind() == slav1::CLOCK_KIND_RESPONSE ? "response" : "resolution",
         // A clock cancelled (or paused) after it breached is still a breach: said, as the
         // compliance report counts it.
         PriorityName(c.priority()),
         c.breached() && c.state() != "breached" ? absl::StrCat(c.state(), " (breached)")
                                                 : c.state(),
         DurationText(c.target()), DurationText(c.business_elapsed()), DurationText(c.remaining()),
         DurationText(c.paused_duration()), When(c.due_time(), tz)});
  }
  if (rows.empty()) {
    std::printf("no SLA clocks known for %s\n", request.incident_id().c_str());
    return absl::OkStatus();
  }
  PrintTable(
      {"SLA", "CLOCK", "PRIORITY", "STATE", "TARGET", "ELAPSED", "REMAINING", "PAUSED", "DUE"},
      rows);
  return absl::OkStatus();
}

absl::Status ReportCommand(const Context& ctx, const Args& args) {
  ITSM_RETURN_IF_ERROR(args.OnlyKnown(
      {"by", "period", "from", "to", "zone", "service", "priority", "definition", "kind"}));
  slav1::GetComplianceReportRequest request;
  for (absl::string_view by : absl::StrSplit(args.Get("by", "service"), ',', absl::SkipEmpty())) {
    if (by == "service")
      request.add_group_by(slav1::REPORT_DIMENSION_SERVICE);
    else if (by == "priority")
      request.add_group_by(slav1::REPORT_DIMENSION_PRIORITY);
    else if (by == "sla" || by == "definition")
      request.add_group_by(slav1::REPORT_DIMENSION_SLA_DEFINITION);
    else if (by == "period")
      request.add_group_by(slav1::REPORT_DIMENSION_PERIOD);
    else
      return absl::InvalidArgumentError(
          absl::StrCat("--by: \"", by, "\": expected service, priority, sla, period"));
  }
  const std::string period = args.Get("period", "month");
  if (period == "day")
    request.set_period(slav1::REPORT_PERIOD_DAY);
  else if (period == "week")
    request.set_period(slav1::REPORT_PERIOD_WEEK);
  else if (period == "month")
    request.set_period(slav1::REPORT_PERIOD_MONTH);
  else
    return absl::InvalidArgumentError("--period: expected day, week or month");
  if (args.Has("from")) {
    ITSM_ASSIGN_OR_RETURN(absl::Time t, ParseTime("from", args.Get("from")));
    *request.mutable_start_time() = base::ToProtoTimestamp(t);
  }
  if (args.Has("to")) {
    ITSM_ASSIGN_OR_RETURN(absl::Time t, ParseTime("to", args.Get("to")));
    *request.mutable_end_time() = base::ToProtoTimestamp(t);
  }
  request.set_time_zone(args.Get("zone"));
  request.set_service(args.Get("service"));
  request.set_sla_definition_id(args.Get("definition"));
  if (args.Has("priority")) {
    ITSM_ASSIGN_OR_RETURN(auto p, Priority(args.Get("priority")));
    request.set_priority(p);
  }
  if (args.Has("kind")) {
    ITSM_ASSIGN_OR_RETURN(auto kind, ParseKind(args.Get("kind")));
    request.set_kind(kind);
  }
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("sla"));
  auto stub = slav1::SlaService::NewStub(channel);
  slav1::GetComplianceReportResponse response;
  ITSM_RETURN_IF_ERROR(
      FromGrpc(stub->GetComplianceReport(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json) {
    std::printf("%s", ToJson(response).c_str());
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const slav1::ComplianceRow& r, bool total) {
    rows.push_back({total ? "TOTAL" : r.service(), total ? "" : PriorityName(r.priority()),
                    total ? ""
                          : (r.sla_definition_name().empty() ? r.sla_definition_id()
                                                             : r.sla_definition_name()),
                    total ? "" : r.period_start(), absl::StrCat(r.met()),
                    absl::StrCat(r.breached()), absl::StrCat(r.in_progress()),
                    absl::StrCat(r.cancelled()), absl::StrFormat("%.1f", r.percent_met()),
                    DurationText(r.mean_time_to_respond()), DurationText(r.p90_time_to_respond()),
                    DurationText(r.mean_time_to_resolve()), DurationText(r.p90_time_to_resolve())});
  };
  for (const auto& r : response.rows()) add(r, false);
  add(response.total(), true);
  PrintTable({"SERVICE", "PRIORITY", "SLA", "PERIOD", "MET", "BREACHED", "OPEN", "CANCELLED",
              "% MET", "MEAN RESPOND", "P90 RESPOND", "MEAN RESOLVE", "P90 RESOLVE"},
             rows);
  return absl::OkStatus();
}

}  // namespace

// Clocks are kept by record id; people know numbers (INC0000042, REQ0000007): look those up.
absl::StatusOr<std::string> RecordIdOf(const Context& ctx, const std::string& id_or_number) {
  if (base::IsUuid(id_or_number)) return id_or_number;
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("incident"));
  auto stub = incident::v1::IncidentService::NewStub(channel);
  if (absl::StartsWith(id_or_number, "REQ")) {
    incident::v1::GetServiceRequestRequest get;
    get.set_id(id_or_number);
    incident::v1::GetServiceRequestResponse got;
    ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetServiceRequest(ctx.NewCall().get(), get, &got)));
    return got.service_request().id();
  }
  incident::v1::GetIncidentRequest get;
  get.set_id(id_or_number);
  incident::v1::GetIncidentResponse got;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->GetIncident(ctx.NewCall().get(), get, &got)));
  return got.incident().id();
}

absl::Status RunSla(const Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty()) {
    return absl::InvalidArgumentError(
        "usage: itsmctl sla calendar|definition|due|status|explain|report ...");
  }
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "calendar") return CalendarCommand(ctx, rest);
  if (argv[0] == "definition") return DefinitionCommand(ctx, rest);
  if (argv[0] == "explain") return SlaExplainCommand(ctx, rest);
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse(rest, {}));
  if (argv[0] == "due") return DueCommand(ctx, args);
  if (argv[0] == "status") return StatusCommand(ctx, args);
  if (argv[0] == "report") return ReportCommand(ctx, args);
  return absl::InvalidArgumentError(absl::StrCat("unknown sla command \"", argv[0], "\""));
}

}  // namespace itsm::ctl
