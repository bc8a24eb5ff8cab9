#include "services/gateway/src/json_duplicate_keys.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "itsm/base/error_detail.h"
#include "services/gateway/src/utf8.h"

namespace itsm::gateway {
namespace {

// One open object or array.
struct Container {
  bool object = false;
  bool expect_key = false;  // objects: the next string is a key
  absl::flat_hash_set<std::string> keys = {};
  std::string key = {};  // objects: the key whose value is being read
};

// The string starting after the quote at `i`, unescaped; `i` ends after its closing quote (or
// at the end of a body that has none).
std::string ReadString(absl::string_view json, size_t& i) {
  std::string out;
  while (i < json.size() && json[i] != '"') {
    if (json[i] != '\\' || i + 1 >= json.size()) {
      out.push_back(json[i++]);
      continue;
    }
    const char e = json[i + 1];
    i += 2;
    uint32_t cp = 0;
    switch (e) {
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u':
        if (i + 4 <= json.size() && absl::SimpleHexAtoi(json.substr(i, 4), &cp)) {
          i += 4;
          AppendUtf8(cp, out);  // a surrogate pair comes out as two: equal keys still compare equal
        }
        break;
      default:
        out.push_back(e);  // \" \\ \/
    }
  }
  if (i < json.size()) ++i;
  return out;
}

std::string PathOf(const std::vector<Container>& open, absl::string_view prefix) {
  std::vector<absl::string_view> names;
  if (!prefix.empty()) names.push_back(prefix);
  for (const Container& c : open) {
    if (c.object) names.push_back(c.key);
  }
  return absl::StrJoin(names, ".");
}

}  // namespace

absl::Status CheckNoDuplicateKeys(absl::string_view json, absl::string_view prefix) {
  std::vector<Container> open;
  size_t i = 0;
  while (i < json.size()) {
    const char c = json[i++];
    switch (c) {
      case '{':
        open.push_back({.object = true, .expect_key = true});
        break;
      case '[':
        open.push_back({.object = false});
        break;
      case '}':
      case ']':
        if (!open.empty()) open.pop_back();
        break;
      case ',':
        if (!open.empty() && open.back().object) open.back().expect_key = true;
        break;
      case '"': {
        std::string text = ReadString(json, i);
        if (open.empty() || !open.back().object || !open.back().expect_key) break;
        Container& object = open.back();
        object.expect_key = false;
        object.key = text;
        if (!object.keys.insert(std::move(text)).second) {
          return base::FieldError(PathOf(open, prefix), "given twice in one object");
        }
        break;
      }
      default:
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace itsm::gateway
