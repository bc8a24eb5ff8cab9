// Where the service may send deliveries. Receivers are chosen by whoever creates a subscription,
// so without a rule a subscription could make the suite call its own internal services, a
// cloud's metadata endpoint or anything on the private network. The rule:
//   - an address in a CIDR of the allow-list, or any address of a host name on it, is allowed;
//   - otherwise loopback, unspecified, link-local (the metadata address 169.254.169.254 among
//     them), private (RFC 1918, IPv6 ULA, which holds fd00:ec2::254), shared (100.64/10),
//     multicast, broadcast and reserved addresses are refused; the rest of the internet is
//     allowed.
// It is applied to every address a name resolves to, when a delivery connects, and only those
// addresses are connected to: checking the name alone would let DNS answer differently between
// the check and the connection (DNS rebinding). Plain http is allowed only to allow-listed
// destinations (a receiver on the public internet gets its deliveries over https). Pure.
//
//   ITSM_ASSIGN_OR_RETURN(OutboundPolicy policy, OutboundPolicy::Parse("127.0.0.1,hooks.corp"));
//   policy.AllowsAddress("hooks.corp", ip);
#ifndef ITSM_SERVICES_WEBHOOKS_OUTBOUND_POLICY_H_
#define ITSM_SERVICES_WEBHOOKS_OUTBOUND_POLICY_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace itsm::webhooks {

// An IPv4 or IPv6 address as 16 bytes (IPv4 mapped to ::ffff:a.b.c.d).
struct IpAddress {
  std::array<unsigned char, 16> bytes{};
  bool v4 = false;
  static std::optional<IpAddress> Parse(absl::string_view text);
  std::string ToString() const;
};

struct Cidr {
  IpAddress network;
  int prefix = 0;  // in bits of the 16-byte form
  bool Contains(const IpAddress& ip) const;
  static std::optional<Cidr> Parse(absl::string_view text);  // "10.0.0.0/8", "::1", "1.2.3.4"
};

// A receiver URL, split.
struct WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name (lower case) or an address, without brackets
  int port = 0;
  std::string target;                // path and query, "/" at least
  std::optional<IpAddress> literal;  // when host is an address
};

// INVALID_ARGUMENT naming `field` for anything but http(s)://host[:port][/path][?query] without
// user information or fragment.
absl::StatusOr<WebhookUrl> ParseWebhookUrl(const std::string& field, absl::string_view url);

class OutboundPolicy {
 public:
  // `allow` is a comma-separated list of host names and CIDRs (an address alone is a /32 or
  // /128). INVALID_ARGUMENT naming the entry that is neither.
  static absl::StatusOr<OutboundPolicy> Parse(absl::string_view allow);

  // Whether the host (name or literal) is on the allow-list itself.
  bool HostAllowListed(const WebhookUrl& url) const;
  // Whether a connection to `ip`, found for `url`'s host, is allowed.
  bool AllowsAddress(const WebhookUrl& url, const IpAddress& ip) const;
  // What a subscription's URL must satisfy before it is stored: https unless allow-listed, and a
  // literal address allowed. INVALID_ARGUMENT naming `field`.
  absl::Status CheckUrl(const std::string& field, const WebhookUrl& url) const;

  // Whether `ip` is in a range refused by default.
  static bool IsInternal(const IpAddress& ip);

 private:
  std::vector<std::string> hosts_;
  std::vector<Cidr> cidrs_;
};

}  // namespace itsm::webhooks

#endif  // ITSM_SERVICES_WEBHOOKS_OUTBOUND_POLICY_H_
