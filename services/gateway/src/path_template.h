// A google.api.http path template, parsed once when the routes are built and matched against
// request paths (google/api/http.proto states the grammar):
//
//   Template = "/" Segments [ Verb ] ;   Segment = "*" | "**" | LITERAL | Variable ;
//   Variable = "{" FieldPath [ "=" Segments ] "}" ;   Verb = ":" LITERAL ;
//
//   auto t = PathTemplate::Parse("/v1/incidents/{id}:transition");
//   auto bound = t->Match("/v1/incidents/INC0000001:transition");  // {{"id", "INC0000001"}}
#ifndef ITSM_SERVICES_GATEWAY_SRC_PATH_TEMPLATE_H_
#define ITSM_SERVICES_GATEWAY_SRC_PATH_TEMPLATE_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::gateway {

// A variable of a path and the value the request gave it (percent-decoded).
struct PathBinding {
  std::string field_path;  // "incident.id"
  std::string value;
};

class PathTemplate {
 public:
  // INVALID_ARGUMENT for text outside the grammar (the routes are read at start: a bad
  // annotation stops the gateway there).
  static absl::StatusOr<PathTemplate> Parse(absl::string_view text);

  // The variables' values when `path` (without the query string) matches, else nullopt.
  // A single-segment variable is fully percent-decoded ("%2F" gives "/"); a multi-segment one
  // keeps "%2F" encoded, as the HTTP rule specifies.
  std::optional<std::vector<PathBinding>> Match(absl::string_view path) const;

  const std::string& text() const { return text_; }
  // Literal segments (and the verb): a request matching several templates takes the one with
  // the most, so "/v1/things/{id}/parts" wins over "/v1/things/{id=*/*}".
  int specificity() const { return specificity_; }
  // The field paths of the variables, in order.
  std::vector<std::string> VariableFieldPaths() const;
  // The template as an OpenAPI path: every variable as "{field.path}" ("/v1/things/{id}:verb").
  std::string OpenApiPath() const;
  // The path a client sends: each variable replaced by `values[field_path]`, percent-encoded
  // ("/" too in a single-segment variable, which Match decodes back). INVALID_ARGUMENT naming
  // the field of a variable without a value, or a wildcard outside any variable.
  absl::StatusOr<std::string> Expand(const std::map<std::string, std::string>& values) const;

 private:
  enum class Kind { kLiteral, kSingle, kMulti };  // LITERAL, "*", "**"
  struct Segment {
    Kind kind;
    std::string literal;
  };
  struct Variable {
    std::string field_path;
    int first_segment;  // [first_segment, end_segment) of segments_
    int end_segment;
  };

  bool MatchFrom(const std::vector<absl::string_view>& parts, size_t segment, size_t part,
                 std::vector<size_t>& starts) const;

  std::string text_;
  std::vector<Segment> segments_;
  std::vector<Variable> variables_;
  std::string verb_;
  std::string verb_suffix_;  // ":verb", or empty
  // What every matching path starts with: "/", the leading literal segments and, when a
  // segment follows them, its "/" ("/v1/incidents/" for "/v1/incidents/{id}"). The gateway
  // tries every route on each request; this refuses nearly all of them without allocating.
  std::string literal_prefix_;
  int specificity_ = 0;
};

// Percent-encodes all but unreserved characters (RFC 3986); with `keep_slash`, "/" stays.
std::string PercentEncode(absl::string_view text, bool keep_slash = false);

// Percent-decodes `text`; with `keep_slash`, "%2F" stays as it is. nullopt for a malformed escape.
std::optional<std::string> PercentDecode(absl::string_view text, bool keep_slash = false);

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_PATH_TEMPLATE_H_
