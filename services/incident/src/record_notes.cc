#include "services/incident/src/record_notes.h"

#include "absl/strings/str_cat.h"
#include "itsm/records/page_cursor.h"
#include "itsm/records/page_start.h"

namespace itsm::incident {

absl::Status NoteRepository::Insert(storage::Transaction& txn, const v1::RecordNote& note) {
  return txn
      .Execute(
          "INSERT INTO incident_notes(id, incident_id, incident_version, visibility, data)"
          " VALUES ($1, $2, $3, $4, $5)",
          {note.id(), note.record_id(), note.record_version(), static_cast<int>(note.visibility()),
           storage::Bytes{note.SerializeAsString()}})
      .status();
}

absl::StatusOr<NotePage> NoteRepository::List(storage::Transaction& txn, absl::string_view method,
                                              const google::protobuf::Message& request,
                                              const common::v1::PageRequest& page,
                                              const std::string& record_id,
                                              v1::NoteVisibility visibility) {
  ITSM_ASSIGN_OR_RETURN(
      records::PageStart start,
      records::StartPage(method, request, page, {.default_size = 100, .max_size = 500}));
  // A note is a version of its record: the version orders a record's notes, one note each.
  int64_t after_version = -1;
  if (!start.after.empty()) {
    ITSM_ASSIGN_OR_RETURN(after_version, records::CursorInt(start.after[0]));
  }
  ITSM_ASSIGN_OR_RETURN(
      storage::ResultSet rows,
      txn.Query("SELECT incident_version, data FROM incident_notes WHERE incident_id = $1"
                " AND ($2 = 0 OR visibility = $2) AND incident_version > $3"
                " ORDER BY incident_version LIMIT $4",
                {record_id, static_cast<int>(visibility), after_version, start.size + 1}));
  NotePage out;
  const size_t shown = records::RowsOnPage(rows, 1, start.size);
  for (size_t i = 0; i < shown; ++i) {
    ITSM_ASSIGN_OR_RETURN(v1::RecordNote note,
                          records::DecodeStored<v1::RecordNote>(rows.row(i)[1].AsString(), "note"));
    out.notes.push_back(std::move(note));
  }
  // One row more than asked for, or a page ended by its bytes: another page follows.
  if (rows.size() > shown) {
    out.next_page_token =
        records::EncodePageCursor(start.scope, {absl::StrCat(rows.row(shown - 1)[0].AsInt())});
  }
  return out;
}

v1::IncidentNote AsIncidentNote(const v1::RecordNote& note) {
  v1::IncidentNote out;
  out.ParseFromString(note.SerializeAsString());
  return out;
}

}  // namespace itsm::incident
