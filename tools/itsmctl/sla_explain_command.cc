// itsmctl sla explain <record> [--clock ID] [--what-if-definition ID[@V]]
//     [--what-if-calendar ID[@V]] [--json]
// Each clock of a record: its timeline (what started, paused, resumed, re-targeted and stopped
// it), its running and paused intervals with their business time, and how its due, warning and
// breach instants follow; with a what-if, the same recomputed beside it. Times are local to the
// clock's zone (the zone its calendar was read in).
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cells.h"
#include "commands.h"
#include "itsm/base/status_macros.h"
#include "itsm/sla/v1/sla.grpc.pb.h"

namespace itsm::ctl {
namespace {

namespace slav1 = ::itsm::sla::v1;

std::string Priority(incident::v1::Priority p) {
  return p == incident::v1::PRIORITY_UNSPECIFIED ? "-" : absl::StrCat("P", static_cast<int>(p));
}

std::string StageName(slav1::ClockStage s) {
  switch (s) {
    case slav1::CLOCK_STAGE_RUNNING:
      return "running";
    case slav1::CLOCK_STAGE_PAUSED:
      return "paused";
    case slav1::CLOCK_STAGE_COMPLETED:
      return "completed";
    case slav1::CLOCK_STAGE_CANCELLED:
      return "cancelled";
    default:
      return "-";
  }
}

// "id" or "id@3" -> id, version (0: the current one).
absl::Status ParseVersioned(const std::string& flag, const std::string& text, std::string* id,
                            int64_t* version) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('@', 1));
  *id = parts[0];
  *version = 0;
  if (id->empty() ||
      (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], version) || *version < 1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not ID or ID@VERSION (version 1 or more)"));
  }
  return absl::OkStatus();
}

void PrintIntervals(const google::protobuf::RepeatedPtrField<slav1::ClockInterval>& intervals,
                    const absl::TimeZone& tz) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : intervals) {
    rows.push_back({i.paused() ? "paused" : "running", When(i.start_time(), tz),
                    i.has_end_time() ? When(i.end_time(), tz) : "(now)",
                    DurationText(i.actual_time()),
                    i.paused() ? "-" : DurationText(i.business_time())});
  }
  PrintTable({"INTERVAL", "FROM", "TO", "REAL TIME", "BUSINESS TIME"}, rows);
}

void PrintDerivation(const slav1::ClockDerivation& d) {
  for (const auto& step : d.steps()) std::printf("  %s\n", step.c_str());
}

void PrintClock(const slav1::ClockExplanation& x) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(x.time_zone(), &tz)) tz = absl::UTCTimeZone();
  std::vector<std::string> thresholds;
  for (double t : x.warning_thresholds()) thresholds.push_back(absl::StrCat(t, "%"));
  std::printf("%s clock %s  %s  (%s)\n",
              x.clock_kind() == slav1::CLOCK_KIND_RESPONSE ? "Response" : "Resolution",
              x.clock_id().c_str(), x.derivation().state().c_str(), Priority(x.priority()).c_str());
  std::vector<std::vector<std::string>> head = {
      {"definition", absl::StrCat("\"", x.sla_definition_name(), "\" v", x.sla_definition_version(),
                                  "  ", x.sla_definition_id())},
      {"calendar", absl::StrCat("\"", x.calendar_name(), "\" v", x.calendar_version(), " in ",
                                x.time_zone(), "  ", x.calendar_id())},
      {"service", x.service()},
      {"target", absl::StrCat(DurationText(x.target()), " of business time")},
      {"warnings", thresholds.empty() ? "-" : absl::StrJoin(thresholds, ", ")}};
  PrintTable({"FIELD", "VALUE"}, head);
  if (!x.note().empty()) std::printf("note: %s\n", x.note().c_str());

  std::printf("\nTimeline\n");
  if (x.omitted_events() > 0) {
    std::printf("  (%lld earlier events no longer kept)\n",
                static_cast<long long>(x.omitted_events()));
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : x.timeline()) {
    std::string when = When(t.time(), tz);
    if (t.has_change_time()) absl::StrAppend(&when, " (change at ", When(t.change_time(), tz), ")");
    rows.push_back({when, t.event_type(), t.cause().empty() ? "-" : t.cause(), StageName(t.stage()),
                    DurationText(t.business_elapsed()), t.explanation()});
  }
  PrintTable({"TIME", "EVENT", "CAUSE", "STAGE", "ELAPSED", "WHY"}, rows);
  if (x.intervals_size() > 0) {
    std::printf("\nIntervals\n");
    PrintIntervals(x.intervals(), tz);
  }
  std::printf("\nDerivation (as of %s)\n", When(x.derivation().as_of(), tz).c_str());
  PrintDerivation(x.derivation());
  if (x.has_what_if()) {
    const slav1::ClockWhatIf& w = x.what_if();
    absl::TimeZone wtz;
    if (!absl::LoadTimeZone(w.time_zone(), &wtz)) wtz = tz;
    std::printf("\nWhat if: definition \"%s\" v%lld, calendar \"%s\" v%lld in %s\n",
                w.sla_definition_name().c_str(), static_cast<long long>(w.sla_definition_version()),
                w.calendar_name().c_str(), static_cast<long long>(w.calendar_version()),
                w.time_zone().c_str());
    if (!w.note().empty()) {
      std::printf("  not computed: %s\n", w.note().c_str());
    } else {
      PrintIntervals(w.intervals(), wtz);
      PrintDerivation(w.derivation());
      std::printf("  => %s (recorded: %s)\n", w.derivation().state().c_str(),
                  x.derivation().state().c_str());
    }
  }
}

}  // namespace

absl::Status SlaExplainCommand(const Context& ctx, const std::vector<std::string>& argv) {
  ITSM_ASSIGN_OR_RETURN(Args args, Args::Parse(argv, {"json"}));
  ITSM_RETURN_IF_ERROR(args.OnlyKnown({"clock", "what-if-definition", "what-if-calendar", "json"}));
  if (args.positionals().size() != 1) {
    return absl::InvalidArgumentError(
        "usage: itsmctl sla explain <incident or request: id or number> [--clock ID] "
        "[--what-if-definition ID[@VERSION]] [--what-if-calendar ID[@VERSION]] [--json]");
  }
  slav1::ExplainClocksRequest request;
  ITSM_ASSIGN_OR_RETURN(std::string id, RecordIdOf(ctx, args.positionals()[0]));
  request.set_record_id(id);
  request.set_clock_id(args.Get("clock"));
  if (args.Has("what-if-definition")) {
    int64_t version = 0;
    ITSM_RETURN_IF_ERROR(ParseVersioned("what-if-definition", args.Get("what-if-definition"),
                                        request.mutable_what_if_definition_id(), &version));
    request.set_what_if_definition_version(version);
  }
  if (args.Has("what-if-calendar")) {
    int64_t version = 0;
    ITSM_RETURN_IF_ERROR(ParseVersioned("what-if-calendar", args.Get("what-if-calendar"),
                                        request.mutable_what_if_calendar_id(), &version));
    request.set_what_if_calendar_version(version);
  }
  ITSM_ASSIGN_OR_RETURN(auto channel, ctx.ChannelFor("sla"));
  auto stub = slav1::SlaService::NewStub(channel);
  slav1::ExplainClocksResponse response;
  ITSM_RETURN_IF_ERROR(FromGrpc(stub->ExplainClocks(ctx.NewCall().get(), request, &response)));
  if (ctx.globals().json || args.Has("json")) {
    std::printf("%s", ToJson(response).c_str());
    return absl::OkStatus();
  }
  if (response.clocks().empty()) {
    std::printf("no SLA clocks known for %s\n", request.record_id().c_str());
    return absl::OkStatus();
  }
  for (int i = 0; i < response.clocks_size(); ++i) {
    if (i > 0) std::printf("\n");
    PrintClock(response.clocks(i));
  }
  return absl::OkStatus();
}

}  // namespace itsm::ctl
