#include "services/sla/src/sla_store_gauges.h"

#include <string>

#include "itsm/sla/v1/sla.pb.h"

namespace itsm::sla {
namespace {

// Enum columns by name, and the priority (the third column, 1..5) as P1..P5, the incident
// service's spelling.
std::function<std::string(size_t, const storage::Value&)> ClockLabels(
    std::vector<const google::protobuf::EnumDescriptor*> enums) {
  return [names = servicedb::EnumLabels(std::move(enums))](size_t label, const storage::Value& v) {
    return label == 2 ? "P" + servicedb::AsText(v) : names(label, v);
  };
}

}  // namespace

std::vector<servicedb::StoreGauge> SlaStoreGauges() {
  const auto* kind = v1::ClockKind_descriptor();
  const auto* agreement = v1::AgreementKind_descriptor();
  return {
      {.name = "itsm_sla_open_clocks",
       .help = "Open SLA clocks (running or paused) by clock kind, agreement kind, priority, "
               "stage and whether they are already breached.",
       .sql = "SELECT clock_kind, agreement_kind, priority, stage, "
              "CASE WHEN breached = 0 THEN 'false' ELSE 'true' END, COUNT(*) FROM sla_clocks "
              "WHERE stage IN (1, 2) GROUP BY clock_kind, agreement_kind, priority, stage, "
              "breached",
       .labels = {"kind", "agreement", "priority", "stage", "breached"},
       .label_value =
           ClockLabels({kind, agreement, nullptr, v1::ClockStage_descriptor(), nullptr})},
      {.name = "itsm_sla_ended_clocks",
       .help = "Completed SLA clocks in the history by clock kind, agreement kind, priority and "
               "outcome (met: stopped before the due instant; breached). Grows as clocks end: "
               "use increase() for a period.",
       .sql = "SELECT clock_kind, agreement_kind, priority, "
              "CASE WHEN breached = 0 THEN 'met' ELSE 'breached' END, COUNT(*) FROM sla_clocks "
              "WHERE stage = 3 GROUP BY clock_kind, agreement_kind, priority, breached",
       .labels = {"kind", "agreement", "priority", "outcome"},
       .label_value = ClockLabels({kind, agreement, nullptr, nullptr})},
  };
}

}  // namespace itsm::sla
