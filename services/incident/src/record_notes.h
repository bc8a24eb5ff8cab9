// Work notes and comments, stored: one table for every record kind of the service, and the one
// way a note is added to a record. Rows are RecordNote; IncidentNote, what incidents answer with,
// is the same message field for field (a test holds them to it), so one parses as the other.
#ifndef ITSM_SERVICES_INCIDENT_RECORD_NOTES_H_
#define ITSM_SERVICES_INCIDENT_RECORD_NOTES_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "itsm/base/ids.h"
#include "itsm/base/status_macros.h"
#include "itsm/incident/v1/incident.pb.h"
#include "itsm/records/unit_of_work.h"
#include "itsm/storage/database.h"

namespace itsm::incident {

// The table is the first migration's incident_notes: its incident_id column holds the id of any
// record of the service (ids are UUIDs, unique across kinds).
struct NotePage {
  std::vector<v1::RecordNote> notes;
  std::string next_page_token;  // empty on the last page
};

class NoteRepository {
 public:
  static absl::Status Insert(storage::Transaction& txn, const v1::RecordNote& note);
  // A page of the record's notes, oldest first: `page` (1..500 notes, 100 by default; a page
  // also ends once it carries records::kMaxPageBytes) of `method`'s `request`, which scopes the
  // page token. Visibility UNSPECIFIED = every note.
  static absl::StatusOr<NotePage> List(storage::Transaction& txn, absl::string_view method,
                                       const google::protobuf::Message& request,
                                       const common::v1::PageRequest& page,
                                       const std::string& record_id, v1::NoteVisibility visibility);
};

// `note` as incidents answer it.
v1::IncidentNote AsIncidentNote(const v1::RecordNote& note);

template <typename Record>
struct NotedRecord {
  v1::RecordNote note;
  Record record;
};

// Adds the note `request` (AddIncidentNoteRequest or AddRecordNoteRequest: id, visibility, text,
// version) asks for, in `work`'s transaction: the record at its next version, with the audit entry
// and event `noted` gives for it, and the note row. `may_see` refuses a caller who may not see the
// record as if it did not exist; a non-zero version must be the stored one (ABORTED otherwise).
template <typename Record, typename Store, typename Request, typename MaySee, typename NotedFn>
absl::StatusOr<NotedRecord<Record>> AddNoteTo(records::UnitOfWork<Record, Store>& work,
                                              const Request& request, MaySee&& may_see,
                                              NotedFn&& noted) {
  // Modify: a note that names no version is applied even when another writer saved the record
  // between the load and the save; one that names a version is refused then.
  ITSM_ASSIGN_OR_RETURN(
      Record after,
      work.Modify(
          request.id(), [&](const Record& stored) -> absl::StatusOr<records::Change<Record>> {
            ITSM_RETURN_IF_ERROR(may_see(stored));
            if (request.version() != 0) {
              ITSM_RETURN_IF_ERROR(records::CheckVersion(stored.version(), request.version()));
            }
            return noted(stored);
          }));
  NotedRecord<Record> out;
  out.note.set_id(base::NewUuid());
  out.note.set_record_id(after.id());
  out.note.set_author(work.caller().actor);
  *out.note.mutable_create_time() = after.update_time();
  out.note.set_visibility(request.visibility());
  out.note.set_text(request.text());
  out.note.set_record_version(after.version());
  ITSM_RETURN_IF_ERROR(NoteRepository::Insert(work.txn(), out.note));
  out.record = std::move(after);
  return out;
}

}  // namespace itsm::incident

#endif  // ITSM_SERVICES_INCIDENT_RECORD_NOTES_H_
