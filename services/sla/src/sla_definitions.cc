#include "services/sla/src/sla_definitions.h"

#include <algorithm>
#include <memory>
#include <tuple>

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

constexpr char kCreateDefinition[] = "itsm.sla.v1.SlaService/CreateSlaDefinition";
constexpr char kListDefinitions[] = "itsm.sla.v1.SlaService/ListSlaDefinitions";
constexpr char kGetDefinitionHistory[] = "itsm.sla.v1.SlaService/GetSlaDefinitionHistory";

using DefinitionWork = records::UnitOfWork<v1::SlaDefinition, DefinitionStore>;

// What an agreement is and with whom is fixed at creation. Found from outside: a supplier's
// contract links its underpinning contracts after checking "kind UC, this supplier", and an
// edit made later to the definition's kind or supplier left the link standing, so the
// supplier's scorecard counted another supplier's (or a customer SLA's) clocks. The supplier
// service cannot see such an edit, so the definition refuses it.
absl::Status CheckCounterpartyKept(const v1::SlaDefinition& stored,
                                   const v1::SlaDefinition& after) {
  if (after.kind() != stored.kind()) {
    return base::FieldError("definition.kind",
                            "fixed at creation (an SLA, OLA and underpinning contract are "
                            "different agreements); retire it and create a new definition");
  }
  if (after.supplier_id() != stored.supplier_id()) {
    return base::FieldError("definition.supplier_id",
                            "fixed at creation (supplier contracts link the definition as that "
                            "supplier's); retire it and create a new definition");
  }
  return absl::OkStatus();
}

// The checks against other records, under the write lock: the calendar exists (a name is stored
// as its id) and no other definition overlaps.
absl::Status CheckAgainstStored(storage::Transaction& txn, v1::SlaDefinition& d, absl::Time now) {
  auto calendar = SlaRepository::GetCalendar(txn, d.calendar_id());
  if (absl::IsNotFound(calendar.status())) {
    return absl::FailedPreconditionError(absl::StrCat("definition.", calendar.status().message()));
  }
  ITSM_RETURN_IF_ERROR(calendar.status());
  d.set_calendar_id(calendar->id());
  ITSM_RETURN_IF_ERROR(base::UnderField("definition", CheckTargetsReachable(d, *calendar, now)));
  ITSM_ASSIGN_OR_RETURN(auto others, SlaRepository::AllDefinitions(txn, false));
  return CheckNoOverlap(d, others);
}

records::Change<v1::SlaDefinition> Created(const v1::SlaDefinition& d) {
  records::Change<v1::SlaDefinition> change{
      d, "create", records::DiffFields(v1::SlaDefinition(), d), {}};
  auto event = std::make_shared<v1::SlaDefinitionCreated>();
  *event->mutable_definition() = d;
  change.events.push_back(std::move(event));
  return change;
}

}  // namespace

absl::Status SlaDefinitions::Create(storage::Transaction& txn, const base::Caller& caller,
                                    const v1::CreateSlaDefinitionRequest& request,
                                    v1::SlaDefinition& out) const {
  v1::SlaDefinition d = request.definition();
  ITSM_RETURN_IF_ERROR(base::UnderField("definition", ValidateAndNormalise(d)));
  const absl::Time now = clock_.Now();
  d.set_id(base::NewUuid());
  d.set_version(1);
  *d.mutable_create_time() = base::ToProtoTimestamp(now);
  *d.mutable_update_time() = d.create_time();
  d.set_updated_by(caller.actor);
  ITSM_RETURN_IF_ERROR(SlaRepository::SerialiseWrites(txn));
  DefinitionWork work(txn, caller, SlaEvents());
  // The checks against stored records come after the key: a repeated call gets the definition
  // the first call created, which its own copy would now overlap.
  ITSM_ASSIGN_OR_RETURN(
      out,
      work.Create(
          records::IdempotentCallOf(kCreateDefinition, request), std::move(d),
          [&txn, now](v1::SlaDefinition& record) { return CheckAgainstStored(txn, record, now); },
          Created));
  return absl::OkStatus();
}

absl::Status SlaDefinitions::Update(storage::Transaction& txn, const base::Caller& caller,
                                    const v1::UpdateSlaDefinitionRequest& request,
                                    v1::SlaDefinition& out) const {
  v1::SlaDefinition d = request.definition();
  if (d.id().empty()) return base::FieldError("definition.id", "required");
  if (d.version() <= 0) {
    return base::FieldError("definition.version", "required, the version that was read");
  }
  // The kind first: conditions are validated in the vocabulary of the record kind, so a changed
  // kind would otherwise be reported as unknown states. Checked again under the write below.
  if (auto current = SlaRepository::GetDefinition(txn, d.id(), 0);
      current.ok() && current->record_kind() != d.record_kind()) {
    return base::FieldError("definition.record_kind", "fixed at creation; create a new definition");
  }
  ITSM_RETURN_IF_ERROR(base::UnderField("definition", ValidateAndNormalise(d)));
  const absl::Time now = clock_.Now();
  ITSM_RETURN_IF_ERROR(SlaRepository::SerialiseWrites(txn));
  DefinitionWork work(txn, caller, SlaEvents());
  ITSM_ASSIGN_OR_RETURN(
      out, work.Modify(d.id(),
                       [&](const v1::SlaDefinition& stored)
                           -> absl::StatusOr<records::Change<v1::SlaDefinition>> {
                         ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), d.version(),
                                                                    "definition.version"));
                         v1::SlaDefinition after = d;
                         // Its clocks run on one kind of record for good.
                         if (after.record_kind() != stored.record_kind()) {
                           return base::FieldError("definition.record_kind",
                                                   "fixed at creation; create a new definition");
                         }
                         ITSM_RETURN_IF_ERROR(CheckCounterpartyKept(stored, after));
                         ITSM_RETURN_IF_ERROR(CheckAgainstStored(txn, after, now));
                         *after.mutable_create_time() = stored.create_time();
                         // Who last changed it is not a change of its own: the audit entry names
                         // the actor.
                         after.set_updated_by(stored.updated_by());
                         records::Change<v1::SlaDefinition> change{
                             after, "update", records::DiffFields(stored, after), {}};
                         change.after.set_version(stored.version() + 1);
                         *change.after.mutable_update_time() = base::ToProtoTimestamp(now);
                         change.after.set_updated_by(caller.actor);
                         auto event = std::make_shared<v1::SlaDefinitionUpdated>();
                         *event->mutable_definition() = change.after;
                         event->set_previous_version(stored.version());
                         change.events.push_back(std::move(event));
                         return change;
                       }));
  return absl::OkStatus();
}

absl::Status SlaDefinitions::Get(storage::Transaction& txn,
                                 const v1::GetSlaDefinitionRequest& request,
                                 v1::SlaDefinition& out) const {
  ITSM_ASSIGN_OR_RETURN(out, SlaRepository::GetDefinition(txn, request.id(), request.version()));
  return absl::OkStatus();
}

absl::Status SlaDefinitions::List(storage::Transaction& txn,
                                  const v1::ListSlaDefinitionsRequest& request,
                                  v1::ListSlaDefinitionsResponse& out) const {
  const std::string scope = records::PageScope(kListDefinitions, request);
  ITSM_ASSIGN_OR_RETURN(Page page, ParsePage(scope, request.page()));
  // Definitions number in the hundreds: filter and page in memory, in (name, id) order.
  ITSM_ASSIGN_OR_RETURN(auto all, SlaRepository::AllDefinitions(txn, request.include_retired()));
  for (auto& d : all) {
    if (!page.after_name.empty() &&
        std::tie(d.name(), d.id()) <= std::tie(page.after_name, page.after_id)) {
      continue;
    }
    if (request.kind() != v1::AGREEMENT_KIND_UNSPECIFIED && d.kind() != request.kind()) continue;
    if (!request.service().empty() &&
        std::find(d.coverage().services().begin(), d.coverage().services().end(),
                  request.service()) == d.coverage().services().end()) {
      continue;
    }
    if (out.definitions_size() == page.size) {
      const auto& last = out.definitions(page.size - 1);
      out.set_next_page_token(PageToken(scope, last.name(), last.id()));
      break;
    }
    *out.add_definitions() = std::move(d);
  }
  return absl::OkStatus();
}

absl::Status SlaDefinitions::History(storage::Transaction& txn,
                                     const v1::GetSlaDefinitionHistoryRequest& request,
                                     v1::GetSlaDefinitionHistoryResponse& out) const {
  if (request.id().empty()) return base::FieldError("id", "required");
  // Definitions are retired, never deleted: the current one names the record.
  ITSM_ASSIGN_OR_RETURN(v1::SlaDefinition current, SlaRepository::GetDefinition(txn, request.id()));
  return records::AuditTrail::ReadInto(txn, kGetDefinitionHistory, request, current.id(), out);
}

}  // namespace itsm::sla
