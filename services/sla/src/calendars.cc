#include "services/sla/src/calendars.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "itsm/base/error_detail.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/base/time_util.h"
#include "itsm/records/audit_trail.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/record_diff.h"
#include "itsm/records/unit_of_work.h"
#include "itsm/sla/v1/events.pb.h"
#include "itsm/slamodel/calendar.h"
#include "services/sla/src/sla_events.h"
#include "services/sla/src/sla_repository.h"
#include "services/sla/src/sla_rules.h"

namespace itsm::sla {
namespace {

constexpr char kCreateCalendar[] = "itsm.sla.v1.SlaService/CreateCalendar";
constexpr char kListCalendars[] = "itsm.sla.v1.SlaService/ListCalendars";
constexpr char kGetCalendarHistory[] = "itsm.sla.v1.SlaService/GetCalendarHistory";

using CalendarWork = records::UnitOfWork<v1::Calendar, CalendarStore>;

records::Change<v1::Calendar> Created(const v1::Calendar& c) {
  records::Change<v1::Calendar> change{c, "create", records::DiffFields(v1::Calendar(), c), {}};
  auto event = std::make_shared<v1::CalendarCreated>();
  *event->mutable_calendar() = c;
  change.events.push_back(std::move(event));
  return change;
}

// The definitions that use the calendar must still fall due on it as edited: a calendar that
// leaves a target unreachable (years of holidays) would give their new clocks no due time, so
// no breach — what a definition saved on it is refused for (CheckTargetsReachable).
absl::Status CheckUsersStillFallDue(storage::Transaction& txn, const v1::Calendar& after,
                                    absl::Time now) {
  ITSM_ASSIGN_OR_RETURN(std::vector<std::string> users,
                        SlaRepository::DefinitionsUsingCalendar(txn, after.id()));
  if (users.empty()) return absl::OkStatus();
  LeastOpenTimes known;
  for (const std::string& id : users) {
    ITSM_ASSIGN_OR_RETURN(v1::SlaDefinition d, SlaRepository::GetDefinition(txn, id));
    if (absl::Status reachable = CheckTargetsReachable(d, after, now, &known); !reachable.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("calendar: definition \"", d.name(), "\" (", d.id(),
                       ") would never fall due on it: ", reachable.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Calendars::Create(storage::Transaction& txn, const base::Caller& caller,
                               const v1::CreateCalendarRequest& request, v1::Calendar& out) const {
  v1::Calendar c = request.calendar();
  ITSM_RETURN_IF_ERROR(base::UnderField("calendar", ValidateCalendar(c)));
  const absl::Time now = clock_.Now();
  c.set_id(base::NewUuid());
  c.set_version(1);
  *c.mutable_create_time() = base::ToProtoTimestamp(now);
  *c.mutable_update_time() = c.create_time();
  c.set_updated_by(caller.actor);
  ITSM_RETURN_IF_ERROR(SlaRepository::SerialiseWrites(txn));
  CalendarWork work(txn, caller, SlaEvents());
  // The key first (in Create): a repeated call, or one that lost a race with it, writes nothing.
  ITSM_ASSIGN_OR_RETURN(
      out, work.Create(records::IdempotentCallOf(kCreateCalendar, request), std::move(c), Created));
  return absl::OkStatus();
}

absl::Status Calendars::Update(storage::Transaction& txn, const base::Caller& caller,
                               const v1::UpdateCalendarRequest& request, v1::Calendar& out) const {
  const v1::Calendar& c = request.calendar();
  if (c.id().empty()) return base::FieldError("calendar.id", "required");
  if (c.version() <= 0) {
    return base::FieldError("calendar.version", "required, the version that was read");
  }
  ITSM_RETURN_IF_ERROR(base::UnderField("calendar", ValidateCalendar(c)));
  const absl::Time now = clock_.Now();
  ITSM_RETURN_IF_ERROR(SlaRepository::SerialiseWrites(txn));
  CalendarWork work(txn, caller, SlaEvents());
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Modify(
          c.id(), [&](const v1::Calendar& stored) -> absl::StatusOr<records::Change<v1::Calendar>> {
            // Looked up by id or name; an update names the calendar by its id.
            if (stored.id() != c.id()) {
              return absl::NotFoundError(absl::StrCat("calendar.id: no calendar \"", c.id(), "\""));
            }
            ITSM_RETURN_IF_ERROR(
                records::CheckVersion(stored.version(), c.version(), "calendar.version"));
            v1::Calendar after = c;
            ITSM_RETURN_IF_ERROR(CheckUsersStillFallDue(txn, after, now));
            *after.mutable_create_time() = stored.create_time();
            // Who last changed it is not a change of its own: the audit entry names the actor.
            after.set_updated_by(stored.updated_by());
            records::Change<v1::Calendar> change{
                after, "update", records::DiffFields(stored, after), {}};
            change.after.set_version(stored.version() + 1);
            *change.after.mutable_update_time() = base::ToProtoTimestamp(now);
            change.after.set_updated_by(caller.actor);
            auto event = std::make_shared<v1::CalendarUpdated>();
            *event->mutable_calendar() = change.after;
            event->set_previous_version(stored.version());
            change.events.push_back(std::move(event));
            return change;
          }));
  return absl::OkStatus();
}

absl::Status Calendars::Delete(storage::Transaction& txn, const base::Caller& caller,
                               const v1::DeleteCalendarRequest& request) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  // Under the write lock: a definition created meanwhile cannot pick the calendar up.
  ITSM_RETURN_IF_ERROR(SlaRepository::SerialiseWrites(txn));
  ITSM_ASSIGN_OR_RETURN(v1::Calendar stored,
                        SlaRepository::GetCalendar(txn, request.id(), 0, "id"));
  ITSM_ASSIGN_OR_RETURN(auto users, SlaRepository::DefinitionsUsingCalendar(txn, stored.id()));
  if (!users.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("id: calendar \"", stored.name(), "\" is used by ", users.size(),
                     " SLA definition(s) that are not retired, e.g. ", users[0]));
  }
  ITSM_RETURN_IF_ERROR(SlaRepository::DeleteCalendar(txn, stored.id()));
  // The deletion is the calendar's last entry, one version past its last one; its versions stay
  // readable.
  const absl::Time now = clock_.Now();
  ITSM_RETURN_IF_ERROR(CalendarStore::AppendAudit(
      txn, stored.id(), records::AuditEntryFor(caller, stored.version() + 1, now, "delete", {})));
  v1::CalendarDeleted event;
  event.set_calendar_id(stored.id());
  event.set_last_version(stored.version());
  event.set_actor(caller.actor);
  return SlaEvents().Publish(txn, stored.id(), event, now);
}

absl::Status Calendars::Get(storage::Transaction& txn, const v1::GetCalendarRequest& request,
                            v1::Calendar& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  ITSM_ASSIGN_OR_RETURN(out,
                        SlaRepository::GetCalendar(txn, request.id(), request.version(), "id"));
  return absl::OkStatus();
}

absl::Status Calendars::List(storage::Transaction& txn, const v1::ListCalendarsRequest& request,
                             v1::ListCalendarsResponse& out) const {
  const std::string scope = records::PageScope(kListCalendars, request);
  ITSM_ASSIGN_OR_RETURN(Page page, ParsePage(scope, request.page()));
  ITSM_ASSIGN_OR_RETURN(auto calendars, SlaRepository::ListCalendars(txn, page));
  const bool more = calendars.size() > static_cast<size_t>(page.size);
  if (more) calendars.resize(page.size);
  for (auto& c : calendars) *out.add_calendars() = std::move(c);
  if (more) {
    const auto& last = out.calendars(out.calendars_size() - 1);
    out.set_next_page_token(PageToken(scope, last.name(), last.id()));
  }
  return absl::OkStatus();
}

absl::Status Calendars::History(storage::Transaction& txn,
                                const v1::GetCalendarHistoryRequest& request,
                                v1::GetCalendarHistoryResponse& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  // Its first version outlives a deletion: it names the calendar by id, and by name while the
  // calendar exists. An id of another kind of record names no calendar, whatever its trail.
  absl::StatusOr<v1::Calendar> first = SlaRepository::GetCalendar(txn, request.id(), 1);
  if (absl::IsNotFound(first.status())) {
    return absl::NotFoundError(absl::StrCat("id: no calendar \"", request.id(), "\""));
  }
  ITSM_RETURN_IF_ERROR(first.status());
  return records::AuditTrail::ReadInto(txn, kGetCalendarHistory, request, first->id(), out);
}

}  // namespace itsm::sla
