// Business calendars: the service's operations on Calendar records, apart from gRPC. Each write
// runs inside the caller's transaction (the group committer's unit) as a records::UnitOfWork —
// the service's write lock, load, the rules of sla_rules, a version-checked save, an audit entry
// naming the caller, the event — so the calendar, its audit entry and its event are stored
// together or not at all. Reads run in the caller's read-only transaction.
//
//   Calendars calendars(clock);
//   committer.Submit([&](storage::Transaction& txn) {
//     return calendars.Update(txn, caller, request, *response.mutable_calendar());
//   }, done);
#ifndef ITSM_SERVICES_SLA_CALENDARS_H_
#define ITSM_SERVICES_SLA_CALENDARS_H_

#include "absl/status/status.h"
#include "itsm/base/caller.h"
#include "itsm/base/clock.h"
#include "itsm/sla/v1/sla.pb.h"
#include "itsm/storage/database.h"

namespace itsm::sla {

class Calendars {
 public:
  explicit Calendars(const base::Clock& clock) : clock_(clock) {}

  // Writes: inside the committer's transaction.
  absl::Status Create(storage::Transaction& txn, const base::Caller& caller,
                      const v1::CreateCalendarRequest& request, v1::Calendar& out) const;
  // The whole calendar, at the version that was read; a calendar equal to the stored one is no
  // change (no new version, no event).
  absl::Status Update(storage::Transaction& txn, const base::Caller& caller,
                      const v1::UpdateCalendarRequest& request, v1::Calendar& out) const;
  // FAILED_PRECONDITION while a definition that is not retired uses it.
  absl::Status Delete(storage::Transaction& txn, const base::Caller& caller,
                      const v1::DeleteCalendarRequest& request) const;

  // Reads: inside a read-only transaction.
  absl::Status Get(storage::Transaction& txn, const v1::GetCalendarRequest& request,
                   v1::Calendar& out) const;
  absl::Status List(storage::Transaction& txn, const v1::ListCalendarsRequest& request,
                    v1::ListCalendarsResponse& out) const;
  // The audit trail, a page oldest first; by id or name, a deleted calendar by id.
  absl::Status History(storage::Transaction& txn, const v1::GetCalendarHistoryRequest& request,
                       v1::GetCalendarHistoryResponse& out) const;

 private:
  const base::Clock& clock_;
};

}  // namespace itsm::sla

#endif  // ITSM_SERVICES_SLA_CALENDARS_H_
