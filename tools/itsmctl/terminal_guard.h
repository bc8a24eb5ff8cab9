// Everything itsmctl prints on standard output passes through one filter: records come from the
// server, and a title holding ESC ] 0 ; ... BEL would retitle the terminal, other sequences
// move the cursor or hide text. Control characters other than newline and tab (C0, DEL, and the
// C1 range U+0080..U+009F) are shown as \xNN or \u00NN instead.
#ifndef ITSM_TOOLS_ITSMCTL_TERMINAL_GUARD_H_
#define ITSM_TOOLS_ITSMCTL_TERMINAL_GUARD_H_

#include <string>

#include "absl/strings/string_view.h"

namespace itsm::ctl {

// `text` with control characters escaped. `pending_c2` carries a lead byte 0xC2 split from its
// continuation across two calls (in: one left by the previous call; out: one left by this).
// With `keep_cr`, carriage returns pass too (a file format's CRLF line ends).
std::string EscapeControlCharacters(absl::string_view text, bool* pending_c2 = nullptr,
                                    bool keep_cr = false);

// Replaces stdout by a stream that escapes through EscapeControlCharacters. Once, at start.
void GuardStandardOutput();

// Whether everything printed on standard output so far was written (flushed now): false once a
// write failed (a closed descriptor, a full disk).
bool StandardOutputWritten();

// Prints a document whose format ends lines in CRLF (an iCalendar export, RFC 5545) on standard
// output with its carriage returns kept, so that `> changes.ics` is the file the server made;
// other control characters are escaped as everywhere.
void PrintCrlfDocument(absl::string_view text);

}  // namespace itsm::ctl

#endif  // ITSM_TOOLS_ITSMCTL_TERMINAL_GUARD_H_
