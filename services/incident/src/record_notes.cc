#include "services/incident/src/record_notes.h"

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

absl::StatusOr<std::vector<v1::RecordNote>> NoteRepository::List(storage::Transaction& txn,
                                                                 const std::string& record_id,
                                                                 v1::NoteVisibility visibility) {
  ITSM_ASSIGN_OR_RETURN(storage::ResultSet rows,
                        txn.Query("SELECT data FROM incident_notes WHERE incident_id = $1"
                                  " AND ($2 = 0 OR visibility = $2) ORDER BY incident_version",
                                  {record_id, static_cast<int>(visibility)}));
  std::vector<v1::RecordNote> out;
  for (const auto& row : rows.rows()) {
    ITSM_ASSIGN_OR_RETURN(v1::RecordNote note,
                          records::DecodeStored<v1::RecordNote>(row[0].AsString(), "note"));
    out.push_back(std::move(note));
  }
  return out;
}

v1::IncidentNote AsIncidentNote(const v1::RecordNote& note) {
  v1::IncidentNote out;
  out.ParseFromString(note.SerializeAsString());
  return out;
}

}  // namespace itsm::incident
