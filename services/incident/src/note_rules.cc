#include "services/incident/src/note_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "itsm/base/blank_text.h"

namespace itsm::incident {

absl::Status ValidateNote(const std::string& id, v1::NoteVisibility visibility,
                          const std::string& text) {
  if (id.empty()) return absl::InvalidArgumentError("id: required");
  if (visibility != v1::NOTE_VISIBILITY_WORK_NOTE && visibility != v1::NOTE_VISIBILITY_COMMENT) {
    return absl::InvalidArgumentError(absl::StrCat("visibility: must be WORK_NOTE or COMMENT, got ",
                                                   static_cast<int>(visibility)));
  }
  if (base::IsBlank(text)) return absl::InvalidArgumentError("text: required");
  return absl::OkStatus();
}

absl::Status ValidateNoteFilter(v1::NoteVisibility visibility) {
  if (v1::NoteVisibility_IsValid(visibility)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("visibility: unknown value ", static_cast<int>(visibility)));
}

v1::NoteVisibility VisibleNotes(const base::Caller& caller, v1::NoteVisibility asked) {
  return caller.own_records_only ? v1::NOTE_VISIBILITY_COMMENT : asked;
}

const char* NoteField(v1::NoteVisibility visibility) {
  return visibility == v1::NOTE_VISIBILITY_WORK_NOTE ? "work_notes" : "comments";
}

const char* NoteVisibilityName(v1::NoteVisibility visibility) {
  return visibility == v1::NOTE_VISIBILITY_WORK_NOTE ? "work_note" : "comment";
}

}  // namespace itsm::incident
