// The rules every note follows, and the one table's promise: IncidentNote and RecordNote are the
// same message field for field, so a row written as one reads back as the other.
#include "services/incident/src/note_rules.h"

#include "gtest/gtest.h"
#include "itsm/incident/v1/events.pb.h"
#include "services/incident/src/record_notes.h"

namespace itsm::incident {
namespace {

TEST(NoteRulesTest, ValidationNamesTheField) {
  EXPECT_EQ(ValidateNote("", v1::NOTE_VISIBILITY_COMMENT, "x").message(), "id: required");
  EXPECT_EQ(ValidateNote("PRB1", v1::NOTE_VISIBILITY_UNSPECIFIED, "x").message(),
            "visibility: must be WORK_NOTE or COMMENT, got 0");
  EXPECT_EQ(ValidateNote("PRB1", static_cast<v1::NoteVisibility>(9), "x").message(),
            "visibility: must be WORK_NOTE or COMMENT, got 9");
  EXPECT_EQ(ValidateNote("PRB1", v1::NOTE_VISIBILITY_WORK_NOTE, " \n\t").message(),
            "text: required");
  EXPECT_TRUE(ValidateNote("PRB1", v1::NOTE_VISIBILITY_WORK_NOTE, "Checked the logs").ok());
  EXPECT_TRUE(ValidateNoteFilter(v1::NOTE_VISIBILITY_UNSPECIFIED).ok());
  EXPECT_EQ(ValidateNoteFilter(static_cast<v1::NoteVisibility>(7)).message(),
            "visibility: unknown value 7");
}

TEST(NoteRulesTest, ANoteIsANewVersionAuditedUnderItsField) {
  v1::Problem stored;
  stored.set_id("p1");
  stored.set_version(4);
  stored.set_state(v1::PROBLEM_STATE_CLOSED);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  auto out = Noted(stored, v1::NOTE_VISIBILITY_WORK_NOTE, "Vendor confirmed the bug", now);
  EXPECT_EQ(out.after.version(), 5);
  EXPECT_EQ(out.after.state(), v1::PROBLEM_STATE_CLOSED) << "a note changes nothing else";
  EXPECT_EQ(base::FromProtoTimestamp(out.after.update_time()), now);
  EXPECT_EQ(out.action, "work_note");
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0].field(), "work_notes");
  EXPECT_EQ(out.changes[0].new_value(), "Vendor confirmed the bug");
  EXPECT_EQ(Noted(stored, v1::NOTE_VISIBILITY_COMMENT, "x", now).changes[0].field(), "comments");

  auto event = NoteEvent<v1::ProblemCommented>(v1::NOTE_VISIBILITY_COMMENT, "x", "bob");
  EXPECT_EQ(event->visibility(), "comment");
  EXPECT_EQ(event->actor(), "bob");
  EXPECT_EQ(event->changed_fields(0), "comments");
}

TEST(NoteRulesTest, RequesterReadsCommentsOnly) {
  base::Caller requester;
  requester.own_records_only = true;
  EXPECT_EQ(VisibleNotes(requester, v1::NOTE_VISIBILITY_WORK_NOTE), v1::NOTE_VISIBILITY_COMMENT);
  EXPECT_EQ(VisibleNotes(requester, v1::NOTE_VISIBILITY_UNSPECIFIED), v1::NOTE_VISIBILITY_COMMENT);
  EXPECT_EQ(VisibleNotes(base::Caller{}, v1::NOTE_VISIBILITY_UNSPECIFIED),
            v1::NOTE_VISIBILITY_UNSPECIFIED);
}

TEST(NoteRulesTest, IncidentNoteAndRecordNoteShareTheirWireFormat) {
  const auto* incident = v1::IncidentNote::descriptor();
  const auto* record = v1::RecordNote::descriptor();
  ASSERT_EQ(incident->field_count(), record->field_count());
  for (int i = 0; i < incident->field_count(); ++i) {
    const auto* a = incident->field(i);
    const auto* b = record->FindFieldByNumber(a->number());
    ASSERT_NE(b, nullptr) << a->name();
    EXPECT_EQ(a->type(), b->type()) << a->name();
    EXPECT_EQ(a->label(), b->label()) << a->name();
  }
  v1::RecordNote note;
  note.set_id("n1");
  note.set_record_id("i1");
  note.set_author("bob");
  note.mutable_create_time()->set_seconds(7);
  note.set_visibility(v1::NOTE_VISIBILITY_WORK_NOTE);
  note.set_text("t");
  note.set_record_version(3);
  v1::IncidentNote as_incident = AsIncidentNote(note);
  EXPECT_EQ(as_incident.incident_id(), "i1");
  EXPECT_EQ(as_incident.incident_version(), 3);
  EXPECT_EQ(as_incident.author(), "bob");
  EXPECT_EQ(as_incident.create_time().seconds(), 7);
  EXPECT_EQ(as_incident.visibility(), v1::NOTE_VISIBILITY_WORK_NOTE);
}

}  // namespace
}  // namespace itsm::incident
