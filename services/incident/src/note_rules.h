// The rules every note follows, whatever record it is on (incident, service request, problem):
// what a valid note is, and what it does to its record — a new version, updated now, audited under
// "work_notes" or "comments". Each workflow adds the event that announces it.
#ifndef ITSM_SERVICES_INCIDENT_NOTE_RULES_H_
#define ITSM_SERVICES_INCIDENT_NOTE_RULES_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "itsm/base/caller.h"
#include "itsm/base/time_util.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/record_change.h"

namespace itsm::incident {

// INVALID_ARGUMENT naming the field: an id, WORK_NOTE or COMMENT, and some text.
absl::Status ValidateNote(const std::string& id, v1::NoteVisibility visibility,
                          const std::string& text);

// INVALID_ARGUMENT for a list filter that is no visibility (UNSPECIFIED: both kinds).
absl::Status ValidateNoteFilter(v1::NoteVisibility visibility);

// What a caller reads of a record's notes when asking for `asked`: a requester's list is the
// comments, whatever was asked — work notes are the support staff's.
v1::NoteVisibility VisibleNotes(const base::Caller& caller, v1::NoteVisibility asked);

// The audit field of a note: "work_notes" or "comments".
const char* NoteField(v1::NoteVisibility visibility);
// As events name it: "work_note" or "comment".
const char* NoteVisibilityName(v1::NoteVisibility visibility);

// The record once noted. A note always changes its record, even closed (a caller's follow-up):
// the version is what orders a note among the record's other changes.
template <typename Record>
records::Change<Record> Noted(const Record& stored, v1::NoteVisibility visibility,
                              const std::string& text, absl::Time now) {
  records::Change<Record> out;
  out.after = stored;
  out.after.set_version(stored.version() + 1);
  *out.after.mutable_update_time() = base::ToProtoTimestamp(now);
  out.action = NoteVisibilityName(visibility);
  common::v1::FieldChange change;
  change.set_field(NoteField(visibility));
  change.set_new_value(text);
  out.changes.push_back(std::move(change));
  return out;
}

// The event announcing a note (IncidentCommented, ServiceRequestCommented, ProblemCommented); the
// caller puts the record in it.
template <typename Event>
std::shared_ptr<Event> NoteEvent(v1::NoteVisibility visibility, const std::string& text,
                                 const std::string& actor) {
  auto event = std::make_shared<Event>();
  event->add_changed_fields(NoteField(visibility));
  event->set_actor(actor);
  event->set_visibility(NoteVisibilityName(visibility));
  event->set_text(text);
  return event;
}

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_NOTE_RULES_H_
