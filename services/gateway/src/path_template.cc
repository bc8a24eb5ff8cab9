#include "services/gateway/src/path_template.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/error_detail.h"

namespace itsm::gateway {
namespace {

bool IsIdentifier(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

bool IsFieldPath(absl::string_view s) {
  for (absl::string_view part : absl::StrSplit(s, '.')) {
    if (!IsIdentifier(part)) return false;
  }
  return true;
}

// A literal segment or verb: unreserved characters only, so that it matches a request path
// without decoding.
bool IsLiteral(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' && c != '~') return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(absl::string_view text, bool keep_slash) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const char decoded = static_cast<char>(high * 16 + low);
    if (keep_slash && decoded == '/') {
      out.append(text.data() + i, 3);
    } else {
      out.push_back(decoded);
    }
    i += 2;
  }
  return out;
}

absl::StatusOr<PathTemplate> PathTemplate::Parse(absl::string_view text) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("path template \"", text, "\": ", why));
  };
  if (!absl::StartsWith(text, "/")) return invalid("must start with /");
  PathTemplate t;
  t.text_ = std::string(text);
  absl::string_view rest = text.substr(1);
  // The verb follows the last ':' outside braces.
  const size_t close = rest.rfind('}');
  const size_t colon = rest.rfind(':');
  if (colon != absl::string_view::npos && (close == absl::string_view::npos || colon > close)) {
    t.verb_ = std::string(rest.substr(colon + 1));
    if (!IsLiteral(t.verb_)) return invalid("the verb must be a literal");
    rest = rest.substr(0, colon);
    ++t.specificity_;
  }
  size_t i = 0;
  auto add_segment = [&](absl::string_view s) -> absl::Status {
    if (s == "*") {
      t.segments_.push_back({Kind::kSingle, ""});
    } else if (s == "**") {
      t.segments_.push_back({Kind::kMulti, ""});
    } else if (IsLiteral(s)) {
      t.segments_.push_back({Kind::kLiteral, std::string(s)});
      ++t.specificity_;
    } else {
      return invalid(absl::StrCat("bad segment \"", s, "\""));
    }
    return absl::OkStatus();
  };
  while (i < rest.size()) {
    if (rest[i] == '{') {
      const size_t end = rest.find('}', i);
      if (end == absl::string_view::npos) return invalid("unclosed {");
      absl::string_view inner = rest.substr(i + 1, end - i - 1);
      absl::string_view field = inner;
      absl::string_view pattern = "*";
      if (const size_t eq = inner.find('='); eq != absl::string_view::npos) {
        field = inner.substr(0, eq);
        pattern = inner.substr(eq + 1);
      }
      if (!IsFieldPath(field)) return invalid(absl::StrCat("bad field path \"", field, "\""));
      Variable v{std::string(field), static_cast<int>(t.segments_.size()), 0};
      for (absl::string_view s : absl::StrSplit(pattern, '/')) {
        if (absl::Status st = add_segment(s); !st.ok()) return st;
      }
      v.end_segment = static_cast<int>(t.segments_.size());
      t.variables_.push_back(std::move(v));
      i = end + 1;
    } else {
      const size_t end = std::min(rest.find('/', i), rest.size());
      if (absl::Status st = add_segment(rest.substr(i, end - i)); !st.ok()) return st;
      i = end;
    }
    if (i < rest.size()) {
      if (rest[i] != '/') return invalid("a variable must be a whole segment");
      ++i;
      if (i == rest.size()) return invalid("trailing /");
    }
  }
  int multi = 0;
  for (const Segment& s : t.segments_) multi += s.kind == Kind::kMulti ? 1 : 0;
  if (multi > 1) return invalid("at most one **");
  if (!t.verb_.empty()) t.verb_suffix_ = absl::StrCat(":", t.verb_);
  std::vector<absl::string_view> leading;
  for (const Segment& s : t.segments_) {
    if (s.kind != Kind::kLiteral) break;
    leading.push_back(s.literal);
  }
  t.literal_prefix_ =
      absl::StrCat("/", absl::StrJoin(leading, "/"),
                   leading.empty() || leading.size() == t.segments_.size() ? "" : "/");
  return t;
}

bool PathTemplate::MatchFrom(const std::vector<absl::string_view>& parts, size_t segment,
                             size_t part, std::vector<size_t>& starts) const {
  if (segment == segments_.size()) {
    starts[segment] = part;
    return part == parts.size();
  }
  starts[segment] = part;
  const Segment& s = segments_[segment];
  switch (s.kind) {
    case Kind::kLiteral:
      return part < parts.size() && parts[part] == s.literal &&
             MatchFrom(parts, segment + 1, part + 1, starts);
    case Kind::kSingle:
      return part < parts.size() && !parts[part].empty() &&
             MatchFrom(parts, segment + 1, part + 1, starts);
    case Kind::kMulti:
      // One segment or more; the longest first (a ** is usually last).
      for (size_t end = parts.size(); end > part; --end) {
        bool all_non_empty = true;
        for (size_t k = part; k < end; ++k) all_non_empty = all_non_empty && !parts[k].empty();
        if (all_non_empty && MatchFrom(parts, segment + 1, end, starts)) return true;
      }
      return false;
  }
  return false;
}

std::optional<std::vector<PathBinding>> PathTemplate::Match(absl::string_view path) const {
  if (!absl::StartsWith(path, literal_prefix_)) return std::nullopt;
  path.remove_prefix(1);  // the "/" the prefix starts with
  if (!verb_.empty()) {
    if (!absl::ConsumeSuffix(&path, verb_suffix_)) return std::nullopt;
    // The verb belongs to the last segment: "/a/b/:verb" is not "/a/b:verb".
    if (path.empty() || path.back() == '/') return std::nullopt;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  std::vector<size_t> starts(segments_.size() + 1, 0);
  if (!MatchFrom(parts, 0, 0, starts)) return std::nullopt;
  std::vector<PathBinding> bound;
  for (const Variable& v : variables_) {
    const size_t first = starts[v.first_segment];
    const size_t end = starts[v.end_segment];
    const bool single = end - first == 1 && v.end_segment - v.first_segment == 1 &&
                        segments_[v.first_segment].kind == Kind::kSingle;
    std::vector<absl::string_view> captured(parts.begin() + first, parts.begin() + end);
    std::optional<std::string> value = PercentDecode(absl::StrJoin(captured, "/"), !single);
    if (!value) return std::nullopt;
    bound.push_back({v.field_path, *std::move(value)});
  }
  return bound;
}

std::vector<std::string> PathTemplate::VariableFieldPaths() const {
  std::vector<std::string> paths;
  for (const Variable& v : variables_) paths.push_back(v.field_path);
  return paths;
}

std::string PathTemplate::OpenApiPath() const {
  std::string out;
  size_t next_variable = 0;
  for (size_t i = 0; i < segments_.size();) {
    out += "/";
    if (next_variable < variables_.size() &&
        variables_[next_variable].first_segment == static_cast<int>(i)) {
      absl::StrAppend(&out, "{", variables_[next_variable].field_path, "}");
      i = variables_[next_variable].end_segment;
      ++next_variable;
      continue;
    }
    const Segment& s = segments_[i];
    out += s.kind == Kind::kLiteral ? s.literal : (s.kind == Kind::kSingle ? "*" : "**");
    ++i;
  }
  if (!verb_.empty()) absl::StrAppend(&out, ":", verb_);
  return out;
}

absl::StatusOr<std::string> PathTemplate::Expand(
    const std::map<std::string, std::string>& values) const {
  std::string out;
  size_t next_variable = 0;
  for (size_t i = 0; i < segments_.size();) {
    out += "/";
    if (next_variable < variables_.size() &&
        variables_[next_variable].first_segment == static_cast<int>(i)) {
      const Variable& v = variables_[next_variable];
      auto value = values.find(v.field_path);
      if (value == values.end() || value->second.empty()) {
        return base::FieldError(v.field_path, "required: it is part of the path");
      }
      const bool single =
          v.end_segment - v.first_segment == 1 && segments_[v.first_segment].kind == Kind::kSingle;
      out += PercentEncode(value->second, /*keep_slash=*/!single);
      i = v.end_segment;
      ++next_variable;
      continue;
    }
    const Segment& s = segments_[i];
    if (s.kind != Kind::kLiteral) {
      return absl::InvalidArgumentError(
          absl::StrCat(text_, ": a wildcard outside a variable cannot be filled in"));
    }
    out += s.literal;
    ++i;
  }
  if (!verb_.empty()) absl::StrAppend(&out, ":", verb_);
  return out;
}

std::string PercentEncode(absl::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

}  // namespace itsm::gateway
