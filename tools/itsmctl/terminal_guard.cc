#include "terminal_guard.h"

#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_format.h"

namespace itsm::ctl {

std::string EscapeControlCharacters(absl::string_view text, bool* pending_c2, bool keep_cr) {
  std::string out;
  out.reserve(text.size());
  bool c2 = pending_c2 != nullptr && *pending_c2;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c2) {
      c2 = false;
      if (c >= 0x80 && c <= 0x9f) {  // U+0080..U+009F: C1 controls (0x9B is CSI)
        absl::StrAppendFormat(&out, "\\u%04x", c);
        continue;
      }
      out += '\xc2';
    }
    if (c == 0xc2) {
      c2 = true;
    } else if ((c < 0x20 && c != '\n' && c != '\t' && !(keep_cr && c == '\r')) || c == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    } else {
      out += ch;
    }
  }
  if (pending_c2 != nullptr) {
    *pending_c2 = c2;
  } else if (c2) {
    out += '\xc2';
  }
  return out;
}

namespace {

struct Guarded {
  FILE* real;
  bool pending_c2 = false;
};

Guarded* installed = nullptr;  // set once by GuardStandardOutput

ssize_t GuardedWrite(void* cookie, const char* buf, size_t size) {
  auto* guarded = static_cast<Guarded*>(cookie);
  const std::string safe =
      EscapeControlCharacters(absl::string_view(buf, size), &guarded->pending_c2);
  if (std::fwrite(safe.data(), 1, safe.size(), guarded->real) != safe.size() ||
      std::fflush(guarded->real) != 0) {
    return -1;
  }
  return static_cast<ssize_t>(size);
}

int GuardedClose(void* cookie) {
  auto* guarded = static_cast<Guarded*>(cookie);
  if (guarded->pending_c2) std::fputc(0xc2, guarded->real);
  const int rc = std::fclose(guarded->real);
  delete guarded;
  return rc;
}

}  // namespace

void GuardStandardOutput() {
  FILE* real = fdopen(dup(fileno(stdout)), "w");
  if (real == nullptr) return;
  cookie_io_functions_t io{nullptr, GuardedWrite, nullptr, GuardedClose};
  auto* cookie = new Guarded{real};
  FILE* guarded = fopencookie(cookie, "w", io);
  if (guarded == nullptr) {
    delete cookie;
    return;
  }
  installed = cookie;
  // Line by line, as a terminal's stdout is: `events tail` shows each event as it arrives.
  setvbuf(guarded, nullptr, _IOLBF, 0);
  stdout = guarded;
}

bool StandardOutputWritten() {
  const bool guarded_ok = std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
  if (installed == nullptr) return guarded_ok;
  return guarded_ok && std::fflush(installed->real) == 0 && std::ferror(installed->real) == 0;
}

void PrintCrlfDocument(absl::string_view text) {
  std::fflush(stdout);
  FILE* out = installed != nullptr ? installed->real : stdout;
  const std::string safe = EscapeControlCharacters(text, nullptr, /*keep_cr=*/true);
  std::fwrite(safe.data(), 1, safe.size(), out);
  std::fflush(out);
}

}  // namespace itsm::ctl
