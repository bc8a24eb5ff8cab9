#include "services/gateway/src/route_table.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/api/annotations.pb.h"
#include "services/gateway/src/field_path.h"

namespace itsm::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::MethodDescriptor;

absl::Status InvalidAnnotation(const MethodDescriptor& method, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(method.full_name(), ": google.api.http annotation: ", why));
}

absl::StatusOr<Route> RouteOf(const MethodDescriptor& method, const google::api::HttpRule& rule) {
  Route route;
  route.method = &method;
  absl::string_view path;
  switch (rule.pattern_case()) {
    case google::api::HttpRule::kGet:
      route.http_method = "GET";
      path = rule.get();
      break;
    case google::api::HttpRule::kPut:
      route.http_method = "PUT";
      path = rule.put();
      break;
    case google::api::HttpRule::kPost:
      route.http_method = "POST";
      path = rule.post();
      break;
    case google::api::HttpRule::kDelete:
      route.http_method = "DELETE";
      path = rule.delete_();
      break;
    case google::api::HttpRule::kPatch:
      route.http_method = "PATCH";
      path = rule.patch();
      break;
    case google::api::HttpRule::kCustom:
    case google::api::HttpRule::PATTERN_NOT_SET:
      return InvalidAnnotation(method, "only get, put, post, delete and patch are served");
  }
  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(path);
  if (!parsed.ok()) return InvalidAnnotation(method, parsed.status().message());
  route.path = *std::move(parsed);
  for (const std::string& variable : route.path.VariableFieldPaths()) {
    absl::StatusOr<ResolvedField> field = ResolveFieldPath(*method.input_type(), variable);
    if (!field.ok()) return InvalidAnnotation(method, field.status().message());
    if (field->leaf->is_repeated() || field->leaf->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return InvalidAnnotation(method,
                               absl::StrCat(variable, ": a path variable must be a scalar"));
    }
  }
  route.body = rule.body();
  if (!route.body.empty() && route.body != "*" &&
      method.input_type()->FindFieldByName(route.body) == nullptr) {
    return InvalidAnnotation(method, absl::StrCat("body \"", route.body, "\" names no field"));
  }
  if (route.http_method == "GET" && !route.body.empty()) {
    return InvalidAnnotation(method, "a GET has no body");
  }
  return route;
}

}  // namespace

absl::StatusOr<RouteTable> RouteTable::Build(
    const std::vector<const google::protobuf::ServiceDescriptor*>& services) {
  RouteTable table;
  std::set<std::pair<std::string, std::string>> seen;  // (HTTP method, OpenAPI path)
  for (const auto* service : services) {
    bool any = false;
    for (int i = 0; i < service->method_count(); ++i) {
      const MethodDescriptor& method = *service->method(i);
      if (!method.options().HasExtension(google::api::http)) continue;
      if (method.client_streaming() || method.server_streaming()) {
        return InvalidAnnotation(method, "streaming RPCs are not transcoded");
      }
      const google::api::HttpRule& rule = method.options().GetExtension(google::api::http);
      std::vector<const google::api::HttpRule*> rules = {&rule};
      for (const auto& extra : rule.additional_bindings()) rules.push_back(&extra);
      for (const google::api::HttpRule* r : rules) {
        absl::StatusOr<Route> route = RouteOf(method, *r);
        if (!route.ok()) return route.status();
        if (!seen.emplace(route->http_method, route->path.OpenApiPath()).second) {
          return InvalidAnnotation(method, absl::StrCat(route->http_method, " ", route->path.text(),
                                                        " is already taken"));
        }
        table.routes_.push_back(*std::move(route));
        any = true;
      }
    }
    if (any) table.services_.push_back(service);
  }
  return table;
}

RouteLookup RouteTable::Find(absl::string_view http_method, absl::string_view path) const {
  // The path's routes are the most literal templates it matches, whatever their method:
  // "/v1/incidents/X:transition" is the transition's path (405 to a GET), not the incident
  // "X:transition" of GET /v1/incidents/{id}. Among equals, the first declared wins.
  struct Candidate {
    const Route* route;
    std::vector<PathBinding> bindings;
  };
  std::vector<Candidate> candidates;
  int best = -1;
  for (const Route& route : routes_) {
    std::optional<std::vector<PathBinding>> bindings = route.path.Match(path);
    if (!bindings) continue;
    if (route.path.specificity() > best) {
      best = route.path.specificity();
      candidates.clear();
    }
    if (route.path.specificity() == best) candidates.push_back({&route, *std::move(bindings)});
  }
  RouteLookup found;
  for (Candidate& c : candidates) {
    if (c.route->http_method == http_method) {
      found.route = c.route;
      found.bindings = std::move(c.bindings);
      return found;
    }
    found.allowed_methods.push_back(c.route->http_method);
  }
  // A GET route answers HEAD too (the gateway sends its head without the body).
  if (absl::c_linear_search(found.allowed_methods, "GET")) found.allowed_methods.push_back("HEAD");
  std::sort(found.allowed_methods.begin(), found.allowed_methods.end());
  found.allowed_methods.erase(
      std::unique(found.allowed_methods.begin(), found.allowed_methods.end()),
      found.allowed_methods.end());
  return found;
}

const Route* RouteTable::PrimaryRouteOf(const google::protobuf::MethodDescriptor& method) const {
  for (const Route& route : routes_) {
    if (route.method == &method) return &route;  // Build adds the main binding first
  }
  return nullptr;
}

}  // namespace itsm::gateway
