#include "services/webhooks/src/outbound_policy.h"

#include <arpa/inet.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "itsm/base/error_detail.h"

namespace itsm::webhooks {
namespace {

// Ranges refused unless allow-listed (IPv4 ones in their ::ffff: mapped form). The IPv6 forms
// that carry an IPv4 address inside — NAT64 64:ff9b::/96 and its local-use 64:ff9b:1::/48, the
// IPv4-translated ::ffff:0:0:0/96 (::ffff:0:a9fe:a9fe is 169.254.169.254 through a translator),
// 6to4 2002::/16 (2002:a9fe:a9fe:: through a relay), Teredo 2001::/32 — are refused whole:
// deprecated or translators, and a way around the IPv4 ranges otherwise; so is the retired 6to4
// relay anycast 192.88.99.0/24 (RFC 7526). 5f00::/16 is SRv6 segment identifiers (RFC 9602),
// 2001:2::/48 benchmarking (as 198.18.0.0/15 is for IPv4), 100:0:0:1::/64 the dummy prefix
// (RFC 9780): none is globally reachable.
const std::vector<Cidr>& InternalRanges() {
  static const std::vector<Cidr> ranges = [] {
    std::vector<Cidr> out;
    for (const char* text :
         {"0.0.0.0/8",       "10.0.0.0/8",      "100.64.0.0/10", "127.0.0.0/8",    "169.254.0.0/16",
          "172.16.0.0/12",   "192.0.0.0/24",    "192.0.2.0/24",  "192.168.0.0/16", "198.18.0.0/15",
          "198.51.100.0/24", "203.0.113.0/24",  "224.0.0.0/4",   "240.0.0.0/4",    "::/128",
          "::1/128",         "64:ff9b::/96",    "100::/64",      "2001:db8::/32",  "fc00::/7",
          "fe80::/10",       "fec0::/10",       "ff00::/8",      "2002::/16",      "2001::/32",
          "64:ff9b:1::/48",  "::ffff:0:0:0/96", "3fff::/20",     "2001:10::/28",   "2001:20::/28",
          "192.88.99.0/24",  "5f00::/16",       "2001:2::/48",   "100:0:0:1::/64"}) {
      out.push_back(*Cidr::Parse(text));
    }
    return out;
  }();
  return ranges;
}

bool IsHostNameChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_'; }

// Whether a host that is not a dotted-quad address would still be read as an IPv4 address by
// resolvers and browsers: its last label is a number ("2130706433", "127.1", "0x7f.1"). Such
// spellings are refused so that the stored URL says which address it reaches.
bool LooksLikeNumericIpv4(absl::string_view host) {
  absl::ConsumeSuffix(&host, ".");
  const size_t dot = host.rfind('.');
  absl::string_view last = dot == absl::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (absl::ConsumePrefix(&last, "0x") || absl::ConsumePrefix(&last, "0X")) {
    return std::all_of(last.begin(), last.end(), absl::ascii_isxdigit);
  }
  return std::all_of(last.begin(), last.end(), absl::ascii_isdigit);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(absl::string_view text) {
  const std::string s(text);
  IpAddress ip;
  unsigned char v4[4];
  if (inet_pton(AF_INET, s.c_str(), v4) == 1) {
    ip.v4 = true;
    ip.bytes[10] = ip.bytes[11] = 0xff;
    std::copy(v4, v4 + 4, ip.bytes.begin() + 12);
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    // An IPv4-mapped IPv6 address is the IPv4 address: ::ffff:127.0.0.1 is loopback.
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::equal(kMapped, kMapped + 12, ip.bytes.begin());
    return ip;
  }
  return std::nullopt;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
  }
  return buf;
}

bool Cidr::Contains(const IpAddress& ip) const {
  int bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const unsigned char mask = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
    if ((ip.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> Cidr::Parse(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('/', 1));
  std::optional<IpAddress> ip = IpAddress::Parse(parts[0]);
  if (!ip) return std::nullopt;
  const int max = ip->v4 ? 32 : 128;
  int prefix = max;
  if (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &prefix) || prefix < 0 || prefix > max)) {
    return std::nullopt;
  }
  return Cidr{*ip, ip->v4 ? prefix + 96 : prefix};
}

absl::StatusOr<WebhookUrl> ParseWebhookUrl(const std::string& field, absl::string_view url) {
  WebhookUrl out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.scheme = "https";
    out.port = 443;
  } else if (absl::ConsumePrefix(&rest, "http://")) {
    out.scheme = "http";
    out.port = 80;
  } else {
    return base::FieldError(field, "must start with https:// (or http:// to an allow-listed host)");
  }
  if (absl::StrContains(rest, '#')) return base::FieldError(field, "must not have a fragment");
  const size_t path_at = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_at);
  out.target = path_at == absl::string_view::npos ? "/" : std::string(rest.substr(path_at));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (std::any_of(out.target.begin(), out.target.end(),
                  [](char c) { return c <= ' ' || c == 0x7f; })) {
    return base::FieldError(field, "spaces and control characters must be percent-encoded");
  }
  if (absl::StrContains(authority, '@')) {
    return base::FieldError(field, "must not carry user information (user@host)");
  }
  absl::string_view host = authority;
  absl::string_view port;
  if (absl::ConsumePrefix(&host, "[")) {
    const size_t close = host.find(']');
    if (close == absl::string_view::npos) return base::FieldError(field, "unclosed [ in host");
    absl::string_view after = host.substr(close + 1);
    host = host.substr(0, close);
    if (!after.empty() && !absl::ConsumePrefix(&after, ":")) {
      return base::FieldError(field, "unexpected text after the host");
    }
    port = after;
    out.literal = IpAddress::Parse(host);
    if (!out.literal || !absl::StrContains(host, ':')) {
      return base::FieldError(field, "not an IPv6 address");
    }
    // [::ffff:a.b.c.d] is a.b.c.d: judged as that address below, like the IPv4 form.
  } else {
    if (const size_t colon = host.find(':'); colon != absl::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (std::any_of(host.begin(), host.end(), [](char c) { return c & 0x80; })) {
      return base::FieldError(field,
                              "not a host name or address: write an internationalised name in "
                              "its ASCII form (xn--…)");
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsHostNameChar)) {
      return base::FieldError(field, "not a host name or address");
    }
    out.literal = IpAddress::Parse(host);
    if (!out.literal && LooksLikeNumericIpv4(host)) {
      return base::FieldError(field,
                              "an IPv4 address must be written as four decimal numbers, a.b.c.d");
    }
    if (!out.literal) {
      // "localhost." is localhost: one trailing dot (the root) goes before the checks below.
      absl::ConsumeSuffix(&host, ".");
      if (host.size() > 253) {
        return base::FieldError(field, "not a host name: at most 253 characters");
      }
      for (absl::string_view label : absl::StrSplit(host, '.')) {
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
            absl::StrContains(label, '_')) {
          return base::FieldError(field,
                                  "not a host name: each dot-separated label is 1..63 letters, "
                                  "digits or hyphens, not beginning or ending with a hyphen");
        }
      }
    }
  }
  if (!port.empty() || absl::EndsWith(authority, ":")) {
    // Digits as written, no sign and no leading zero: ":+443" and ":00443" are not ports.
    if (port.empty() || !std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
        (port.size() > 1 && port.front() == '0') || !absl::SimpleAtoi(port, &out.port) ||
        out.port < 1 || out.port > 65535) {
      return base::FieldError(field, "port must be 1..65535");
    }
  }
  out.host = absl::AsciiStrToLower(host);
  return out;
}

absl::StatusOr<OutboundPolicy> OutboundPolicy::Parse(absl::string_view allow) {
  OutboundPolicy policy;
  for (absl::string_view entry : absl::StrSplit(allow, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    if (std::optional<Cidr> cidr = Cidr::Parse(entry)) {
      policy.cidrs_.push_back(*cidr);
    } else if (!absl::StrContains(entry, '/') &&
               std::all_of(entry.begin(), entry.end(), IsHostNameChar)) {
      policy.hosts_.push_back(absl::AsciiStrToLower(entry));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("outbound_allow: \"", entry, "\" is neither a host name nor a CIDR"));
    }
  }
  return policy;
}

bool OutboundPolicy::HostAllowListed(const WebhookUrl& url) const {
  if (url.literal) {
    return std::any_of(cidrs_.begin(), cidrs_.end(),
                       [&](const Cidr& c) { return c.Contains(*url.literal); });
  }
  return std::find(hosts_.begin(), hosts_.end(), url.host) != hosts_.end();
}

bool OutboundPolicy::IsInternal(const IpAddress& ip) {
  const auto& ranges = InternalRanges();
  if (std::any_of(ranges.begin(), ranges.end(), [&](const Cidr& c) { return c.Contains(ip); })) {
    return true;
  }
  // 255.255.255.255 is in 240/4 already; the IPv4-compatible ::a.b.c.d form is deprecated and
  // would reach the same host as a.b.c.d: refused as a whole (its first 12 bytes are zero).
  return !ip.v4 && std::all_of(ip.bytes.begin(), ip.bytes.begin() + 12,
                               [](unsigned char b) { return b == 0; });
}

bool OutboundPolicy::AllowsAddress(const WebhookUrl& url, const IpAddress& ip) const {
  if (!url.literal && std::find(hosts_.begin(), hosts_.end(), url.host) != hosts_.end()) {
    return true;  // the operator named this host: wherever it resolves to
  }
  if (std::any_of(cidrs_.begin(), cidrs_.end(), [&](const Cidr& c) { return c.Contains(ip); })) {
    return true;
  }
  return !IsInternal(ip);
}

absl::Status OutboundPolicy::CheckUrl(const std::string& field, const WebhookUrl& url) const {
  const bool listed = HostAllowListed(url);
  if (url.scheme == "http" && !listed) {
    return base::FieldError(field,
                            "http is allowed only to hosts of the outbound allow-list; use https");
  }
  if (url.literal && !AllowsAddress(url, *url.literal)) {
    return base::FieldError(field, absl::StrCat("the address ", url.literal->ToString(),
                                                " is internal and not on the outbound allow-list"));
  }
  if (!url.literal && (url.host == "localhost" || absl::EndsWith(url.host, ".localhost")) &&
      !listed) {
    return base::FieldError(field, "localhost is not on the outbound allow-list");
  }
  return absl::OkStatus();
}

}  // namespace itsm::webhooks
