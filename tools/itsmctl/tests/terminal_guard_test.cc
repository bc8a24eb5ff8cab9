#include "terminal_guard.h"

#include "gtest/gtest.h"

namespace itsm::ctl {
namespace {

TEST(EscapeControlCharacters, KeepsTextNewlinesTabsAndUnicode) {
  EXPECT_EQ(EscapeControlCharacters("Mail down\n\tsince 10:00 — Zürich ✓"),
            "Mail down\n\tsince 10:00 — Zürich ✓");
}

TEST(EscapeControlCharacters, ShowsTerminalSequencesInsteadOfRunningThem) {
  // ESC ] 0 ; ... BEL retitles a terminal; NUL, DEL and C1's CSI (U+009B) are controls too.
  EXPECT_EQ(EscapeControlCharacters("\x1b]0;pwned\x07title"), "\\x1b]0;pwned\\x07title");
  EXPECT_EQ(EscapeControlCharacters(std::string("a\0b\x7f", 4)), "a\\x00b\\x7f");
  EXPECT_EQ(EscapeControlCharacters("x\xc2\x9b"
                                    "31mred"),
            "x\\u009b31mred");
  EXPECT_EQ(EscapeControlCharacters("\xc2\xa0nbsp"), "\xc2\xa0nbsp");
}

TEST(EscapeControlCharacters, ACodeSplitAcrossWritesIsStillCaught) {
  bool pending = false;
  std::string out = EscapeControlCharacters("x\xc2", &pending);
  EXPECT_TRUE(pending);
  out += EscapeControlCharacters(
      "\x9b"
      "y",
      &pending);
  EXPECT_FALSE(pending);
  EXPECT_EQ(out, "x\\u009by");
}

// An iCalendar's lines end in CRLF: kept when asked, the rest still escaped.
TEST(EscapeControlCharacters, KeepsCarriageReturnsOfACrlfDocument) {
  EXPECT_EQ(EscapeControlCharacters("BEGIN:VCALENDAR\r\nX\x1b]0\x07", nullptr, /*keep_cr=*/true),
            "BEGIN:VCALENDAR\r\nX\\x1b]0\\x07");
  EXPECT_EQ(EscapeControlCharacters("A\r\n"), "A\\x0d\n");
}

}  // namespace
}  // namespace itsm::ctl
