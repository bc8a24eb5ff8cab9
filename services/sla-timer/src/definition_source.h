// Where the SLA timer learns which SLA definitions apply to an incident, and reads a definition
// or calendar by id and version. The service asks the SLA service over gRPC
// (GrpcDefinitionSource, cached); tests and the benchmark use StaticDefinitionSource.
//
// Versions: a clock pins the definition and calendar versions it started under, so later edits
// never change a running clock's meaning. A pinned version is immutable, hence cached forever;
// "which definitions apply" and "the current calendar" are cached for a short TTL.
#ifndef ITSM_SERVICES_SLA_TIMER_DEFINITION_SOURCE_H_
#define ITSM_SERVICES_SLA_TIMER_DEFINITION_SOURCE_H_

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "itsm/base/clock.h"
#include "itsm/change/v1/change.pb.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/runtime/unresponsive_upstream.h"
#include "itsm/sla/v1/sla.grpc.pb.h"
#include "itsm/sla/v1/sla.pb.h"
#include "services/sla-timer/src/definition_archive.h"

namespace itsm::sla_timer {

using DefinitionPtr = std::shared_ptr<const sla::v1::SlaDefinition>;
using CalendarPtr = std::shared_ptr<const sla::v1::Calendar>;

// What ResolveApplicableSla is asked about a record.
struct RecordQuery {
  std::string service = {};
  incident::v1::Priority priority = incident::v1::PRIORITY_UNSPECIFIED;
  std::string category = {};
  // The class of the record's (first) configuration item; "" when it has none or the
  // configuration service does not know it. Filled in by TimerLogic, not by Of().
  std::string ci_class = {};
  // The service request's catalogue item; "" for an incident (so a definition whose coverage
  // lists request types covers only service requests of those items).
  std::string request_type = {};
  // RECORD_KIND_CHANGE for a change (only definitions for changes apply to it).
  sla::v1::RecordKind record_kind = sla::v1::RECORD_KIND_UNSPECIFIED;
  // The record's creation; InfinitePast when unknown (then: now).
  absl::Time create_time = absl::InfinitePast();

  static RecordQuery Of(const incident::v1::Incident& incident);
  static RecordQuery Of(const incident::v1::ServiceRequest& request);
  // A change: its first affected business service (else the first one its CIs reach), the
  // priority slamodel::ChangePriority gives, its category.
  static RecordQuery Of(const change::v1::Change& change);
};

class DefinitionSource {
 public:
  virtual ~DefinitionSource() = default;
  // The definitions that apply to a record (its service, priority, category and request type,
  // at its creation): at most one per agreement kind, possibly none. UNAVAILABLE: ask again
  // later. INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND: refused for this record, and will be
  // again (permanent).
  virtual absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const RecordQuery& record) = 0;
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const incident::v1::Incident& incident) {
    return Resolve(RecordQuery::Of(incident));
  }
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const incident::v1::ServiceRequest& request) {
    return Resolve(RecordQuery::Of(request));
  }
  // version 0: the current one (the timer reads only whether it is retired from it).
  virtual absl::StatusOr<DefinitionPtr> Definition(const std::string& id, int64_t version) = 0;
  virtual absl::StatusOr<CalendarPtr> Calendar(const std::string& id, int64_t version) = 0;
  // The current version as known at or after `as_of` (a clock starting at `as_of` pins the
  // version in force then): a source with a cache reads again what it read before `as_of`.
  virtual absl::StatusOr<CalendarPtr> CurrentCalendar(const std::string& id, absl::Time /*as_of*/) {
    return Calendar(id, 0);
  }
  // Whether the current version Definition(id, 0) gave last came from the SLA service within the
  // cache period, rather than from what was read before it stopped answering: only such a read
  // settles whether a definition is retired. A source without a cache always reads freshly.
  virtual bool CurrentDefinitionIsFresh(const std::string& /*id*/) { return true; }
};

// The SLA service's ResolveApplicableSla / GetSlaDefinition / GetCalendar, cached.
class GrpcDefinitionSource final : public DefinitionSource {
 public:
  static constexpr absl::Duration kCurrentDefinitionTtl = absl::Seconds(1);
  // Answers of ResolveApplicableSla, the current calendar versions and the current version of
  // a definition (whether it is retired) are reused for at most kCurrentDefinitionTtl (`ttl`
  // when less), and an applicability answer or a current calendar only for records raised (clocks
  // started) before it was read: a definition or calendar created or edited applies to every
  // record raised after the save, and a retired definition stops firing within a second. While the
  // SLA service is unreachable, the current definition read last is reused beyond it (clocks held
  // keep firing; a retirement missed withdraws their breaches later), but neither an
  // applicability answer nor a current calendar is: a record would keep what they name for its
  // whole life, though the service may have saved another since (UNAVAILABLE: the event waits
  // with its record until the service answers, decision 283). Answers are keyed by
  // (service, priority, category, CI class, request type, creation time / ttl).
  //
  // A call the SLA service leaves unanswered past `deadline` (a hung service, a partitioned
  // network: a stopped one refuses at once) silences it for `quiet`, and one under way for long
  // keeps other threads from asking meanwhile (runtime::UnresponsiveUpstream): every lookup not
  // in the cache then fails at once with UNAVAILABLE (the current definition read last is
  // reused). Lookups run on the firing thread: a hung service costs it one deadline per `quiet`,
  // not one per clock about to fire.
  GrpcDefinitionSource(std::shared_ptr<grpc::Channel> channel, base::Clock& clock,
                       absl::Duration ttl, absl::Duration deadline = absl::Seconds(1),
                       absl::Duration quiet = absl::Seconds(10));

  // Every definition and calendar read is also kept in `archive` (not owned; set before the
  // first call), and read back from it when the SLA service cannot answer and this process has
  // not read it yet (pinned versions, and the current definition): a timer restarted during an
  // outage fires the clocks it holds.
  void KeepIn(DefinitionArchive* archive) { archive_ = archive; }

  using DefinitionSource::Resolve;
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const RecordQuery& record) override;
  absl::StatusOr<DefinitionPtr> Definition(const std::string& id, int64_t version) override;
  absl::StatusOr<CalendarPtr> Calendar(const std::string& id, int64_t version) override {
    return ReadCalendar(id, version, absl::InfinitePast());
  }
  absl::StatusOr<CalendarPtr> CurrentCalendar(const std::string& id, absl::Time as_of) override {
    return ReadCalendar(id, 0, as_of);
  }
  bool CurrentDefinitionIsFresh(const std::string& id) override;

 private:
  // A current version read before `as_of` is read again (one read after it serves it).
  absl::StatusOr<CalendarPtr> ReadCalendar(const std::string& id, int64_t version,
                                           absl::Time as_of);
  // What the archive holds for a definition asked by id and version (0: the current one as read
  // last), or a calendar's pinned version; null when nothing.
  DefinitionPtr ArchivedDefinition(const std::string& id, int64_t version);
  CalendarPtr ArchivedCalendar(const std::string& id, int64_t version);

  struct ResolveEntry {
    std::vector<DefinitionPtr> definitions;
    absl::Time fetched;
    // The creation instants the answer holds for (the response's window).
    absl::Time valid_from = absl::InfinitePast();
    absl::Time valid_until = absl::InfiniteFuture();
  };
  struct CalendarEntry {
    CalendarPtr calendar;
    absl::Time fetched;
  };
  struct CurrentEntry {
    DefinitionPtr definition;
    absl::Time fetched;
  };

  std::unique_ptr<sla::v1::SlaService::Stub> stub_;
  base::Clock& clock_;
  absl::Duration ttl_;
  runtime::UnresponsiveUpstream sla_service_;
  DefinitionArchive* archive_ = nullptr;
  absl::Mutex mu_;
  std::map<std::tuple<std::string, int, std::string, std::string, std::string, int, int64_t>,
           ResolveEntry>
      resolved_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int64_t>, DefinitionPtr> definitions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, CurrentEntry> current_definitions_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int64_t>, CalendarEntry> calendars_ ABSL_GUARDED_BY(mu_);
};

// Definitions and calendars held in memory (tests, benchmark). Resolve applies the rule of
// docs/sla.md section 2 in its simplest form: not retired, a target for the priority, and the
// coverage lists matched (slamodel::Covers).
class StaticDefinitionSource final : public DefinitionSource {
 public:
  // Adds (or replaces with a new version) a definition / calendar.
  void Put(sla::v1::SlaDefinition definition);
  void Put(sla::v1::Calendar calendar);
  // Resolve fails with UNAVAILABLE while set (tests of retries), and the current definitions
  // are not fresh.
  void SetUnavailable(bool unavailable);

  using DefinitionSource::Resolve;
  absl::StatusOr<std::vector<DefinitionPtr>> Resolve(const RecordQuery& record) override;
  absl::StatusOr<DefinitionPtr> Definition(const std::string& id, int64_t version) override;
  absl::StatusOr<CalendarPtr> Calendar(const std::string& id, int64_t version) override;
  bool CurrentDefinitionIsFresh(const std::string& id) override;

 private:
  absl::Mutex mu_;
  bool unavailable_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::pair<std::string, int64_t>, DefinitionPtr> definitions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> current_definition_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int64_t>, CalendarPtr> calendars_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> current_calendar_ ABSL_GUARDED_BY(mu_);
};

}  // namespace itsm::sla_timer

#endif  // ITSM_SERVICES_SLA_TIMER_DEFINITION_SOURCE_H_
