// The REST routes of the suite, read from the `google.api.http` option of every RPC in the
// descriptors linked into the binary: a new RPC needs its annotation and nothing else.
//
//   ITSM_ASSIGN_OR_RETURN(RouteTable routes, RouteTable::Build(auth::LinkedServices("itsm.")));
//   RouteLookup found = routes.Find("POST", "/v1/incidents/INC0000001:transition");
//   // found.route->method is itsm.incident.v1.IncidentService.TransitionIncident,
//   // found.bindings {{"id", "INC0000001"}}
#ifndef ITSM_SERVICES_GATEWAY_SRC_ROUTE_TABLE_H_
#define ITSM_SERVICES_GATEWAY_SRC_ROUTE_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "services/gateway/src/path_template.h"

namespace itsm::gateway {

struct Route {
  const google::protobuf::MethodDescriptor* method = nullptr;
  std::string http_method;  // "GET", "POST", "PUT", "PATCH", "DELETE"
  PathTemplate path;
  // "" (no body: every field not in the path comes from the query string), "*" (the whole
  // request is the body) or the name of the top-level field the body is.
  std::string body;
};

struct RouteLookup {
  const Route* route = nullptr;  // null: nothing matched
  std::vector<PathBinding> bindings;
  // When no route matched the method but some matched the path: their methods (405 + Allow).
  std::vector<std::string> allowed_methods;
};

class RouteTable {
 public:
  // The routes of every annotated method of `services` (a binding and its additional
  // bindings). INVALID_ARGUMENT names the method of an annotation that cannot be served: a
  // streaming RPC, a path variable or body that names no field (or a field that cannot be a
  // path variable), two routes with the same method and path.
  static absl::StatusOr<RouteTable> Build(
      const std::vector<const google::protobuf::ServiceDescriptor*>& services);

  RouteLookup Find(absl::string_view http_method, absl::string_view path) const;
  // The route of a method's main binding (not its additional ones); null when it has none.
  const Route* PrimaryRouteOf(const google::protobuf::MethodDescriptor& method) const;
  const std::vector<Route>& routes() const { return routes_; }
  // The services that have at least one route, in the order given to Build.
  const std::vector<const google::protobuf::ServiceDescriptor*>& services() const {
    return services_;
  }

 private:
  std::vector<Route> routes_;
  std::vector<const google::protobuf::ServiceDescriptor*> services_;
};

}  // namespace itsm::gateway

#endif  // ITSM_SERVICES_GATEWAY_SRC_ROUTE_TABLE_H_
