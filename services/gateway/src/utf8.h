// UTF-8 encoding of one code point, for the gateway's JSON readers (a "\u00e9" escape becomes
// the two bytes of "é").
#ifndef ITSM_SERVICES_GATEWAY_SRC_UTF8_H_
#define ITSM_SERVICES_GATEWAY_SRC_UTF8_H_

#include <cstdint>
#include <string>

namespace itsm::gateway {

// Appends `code_point` (at most U+10FFFF) to `out` in UTF-8.
inline void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_UTF8_H_
