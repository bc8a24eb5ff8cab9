// The suite's fixed ports kept out of the kernel's choice for outgoing connections.
//
// A port in the ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default; the
// suite's gRPC ports 50050-50058 lie in it) can be given to any outgoing connection of any
// process while nothing listens on it — a Kafka client's long-lived connection, say — and a
// service restarted after a crash then cannot bind its own port until that connection ends
// (seen in a soak run: the changes' SLA timer down for 91 s). The kernel's remedy is
// net.ipv4.ip_local_reserved_ports: ports listed there are never chosen automatically, and
// binding them explicitly still works.
#ifndef ITSM_TOOLS_LAUNCHER_RESERVED_PORTS_H_
#define ITSM_TOOLS_LAUNCHER_RESERVED_PORTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::launcher {

// `reserved` (the sysctl's text: "50050-50052,60000") with `ports` added, in the kernel's own
// form (ascending, ranges merged). INVALID_ARGUMENT for text that is not a port list.
absl::StatusOr<std::string> WithReservedPorts(absl::string_view reserved,
                                              const std::vector<int>& ports);

// The ports of `ports` inside the ephemeral range, added to the reserved ports (which stay
// reserved after the launcher exits, until the next boot). Returns those it had to add (empty
// when all were reserved already or none lies in the range); PERMISSION_DENIED and the like when
// /proc/sys cannot be written (not root, a container's read-only /proc/sys).
absl::StatusOr<std::vector<int>> ReserveEphemeralPorts(const std::vector<int>& ports);

}  // namespace itsm::launcher

#endif  // ITSM_TOOLS_LAUNCHER_RESERVED_PORTS_H_
