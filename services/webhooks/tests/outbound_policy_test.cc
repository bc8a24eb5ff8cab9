// The outbound allow-list: URL parsing, the ranges refused by default, what the allow-list
// opens, and the rule that plain http needs an allow-listed destination.
#include "services/webhooks/src/outbound_policy.h"

#include "gtest/gtest.h"

namespace itsm::webhooks {
namespace {

WebhookUrl Url(const std::string& text) {
  absl::StatusOr<WebhookUrl> url = ParseWebhookUrl("subscription.url", text);
  EXPECT_TRUE(url.ok()) << text << ": " << url.status();
  return url.ok() ? *url : WebhookUrl{};
}

IpAddress Ip(const std::string& text) { return *IpAddress::Parse(text); }

TEST(OutboundPolicy, ParsesUrls) {
  WebhookUrl u = Url("https://Hooks.Example.com:8443/in?x=1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, 8443);
  EXPECT_EQ(u.target, "/in?x=1");
  EXPECT_FALSE(u.literal);
  EXPECT_EQ(Url("http://127.0.0.1").target, "/");
  EXPECT_EQ(Url("http://127.0.0.1").port, 80);
  EXPECT_EQ(Url("https://[::1]:9000/x").host, "::1");
  EXPECT_EQ(Url("https://hooks.1x.example.com/").host, "hooks.1x.example.com");
  // The root's dot is the same host: "localhost." is judged as localhost.
  EXPECT_EQ(Url("https://Hooks.Example.com./").host, "hooks.example.com");
  EXPECT_NE(ParseWebhookUrl("subscription.url", "https://bücher.example/")
                .status()
                .message()
                .find("xn--"),
            absl::string_view::npos);
  for (const char* bad : {"ftp://x",
                          "https://user:pw@x/",
                          "https://x/#frag",
                          "https://:80/",
                          "https://x:0/",
                          "https://x:65536/",
                          "https://[::1/",
                          "https://x/a b",
                          "https://[1.2.3.4]/",
                          "example.com",
                          "http://2130706433/",
                          "http://127.1/",
                          "http://0x7f.0.0.1/",
                          "http://0177.0.0.1/",
                          "http://127.0.0.1./",
                          "http://hooks.0x10/",
                          "https://a..b.example.com/",
                          "https://.example.com/",
                          "https://-bad-.example.com/",
                          "https://x:+443/",
                          "https://x:00443/",
                          "https://bücher.example/",
                          "https://a_b.com/"}) {
    absl::StatusOr<WebhookUrl> url = ParseWebhookUrl("subscription.url", bad);
    EXPECT_TRUE(absl::IsInvalidArgument(url.status())) << bad;
    EXPECT_NE(url.status().message().find("subscription.url"), absl::string_view::npos) << bad;
  }
  // Labels of 63 each, 259 in all: no DNS name is longer than 253.
  const std::string too_long = "https://" + std::string(63, 'a') + "." + std::string(63, 'b') +
                               "." + std::string(63, 'c') + "." + std::string(63, 'd') + ".com/";
  EXPECT_TRUE(absl::IsInvalidArgument(ParseWebhookUrl("subscription.url", too_long).status()));
}

TEST(OutboundPolicy, RefusesInternalAddressesByDefault) {
  for (const char* internal : {"127.0.0.1",
                               "127.8.9.10",
                               "10.1.2.3",
                               "172.16.0.1",
                               "172.31.255.255",
                               "192.168.1.1",
                               "169.254.169.254",
                               "100.64.0.1",
                               "0.0.0.0",
                               "255.255.255.255",
                               "224.0.0.1",
                               "::1",
                               "::",
                               "fe80::1",
                               "fc00::1",
                               "fd00:ec2::254",
                               "::ffff:127.0.0.1",
                               "::ffff:10.0.0.1",
                               "::127.0.0.1",
                               "2002:a9fe:a9fe::",
                               "2002:7f00:1::1",
                               "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                               "64:ff9b::a9fe:a9fe",
                               "192.88.99.1",
                               "::ffff:192.88.99.1",
                               "5f00::1",
                               "2001:2::1",
                               "100:0:0:1::1"}) {
    EXPECT_TRUE(OutboundPolicy::IsInternal(Ip(internal))) << internal;
  }
  for (const char* external :
       {"93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "2001:4860:4860::8888"}) {
    EXPECT_FALSE(OutboundPolicy::IsInternal(Ip(external))) << external;
  }
  absl::StatusOr<OutboundPolicy> none = OutboundPolicy::Parse("");
  ASSERT_TRUE(none.ok());
  const WebhookUrl named = Url("https://hooks.example.com/");
  // DNS rebinding: a public name resolving to an internal address is refused at connect time.
  EXPECT_FALSE(none->AllowsAddress(named, Ip("169.254.169.254")));
  EXPECT_FALSE(none->AllowsAddress(named, Ip("127.0.0.1")));
  EXPECT_TRUE(none->AllowsAddress(named, Ip("93.184.216.34")));
}

TEST(OutboundPolicy, AllowListOpensHostsAndCidrs) {
  absl::StatusOr<OutboundPolicy> p = OutboundPolicy::Parse("127.0.0.1, hooks.corp ,10.20.0.0/16");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->AllowsAddress(Url("http://127.0.0.1:9/"), Ip("127.0.0.1")));
  EXPECT_FALSE(p->AllowsAddress(Url("http://127.0.0.2:9/"), Ip("127.0.0.2")));
  EXPECT_TRUE(p->AllowsAddress(Url("https://hooks.corp/"), Ip("192.168.7.7")));
  EXPECT_TRUE(p->AllowsAddress(Url("https://x.example/"), Ip("10.20.3.4")));
  EXPECT_FALSE(p->AllowsAddress(Url("https://x.example/"), Ip("10.21.3.4")));
  EXPECT_FALSE(OutboundPolicy::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(OutboundPolicy::Parse("bad host!").ok());
}

TEST(OutboundPolicy, SubscriptionUrlsNeedHttpsOrAnAllowListedHost) {
  absl::StatusOr<OutboundPolicy> p = OutboundPolicy::Parse("127.0.0.1");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->CheckUrl("u", Url("https://hooks.example.com/in")).ok());
  EXPECT_TRUE(p->CheckUrl("u", Url("http://127.0.0.1:8080/in")).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url("http://hooks.example.com/in"))));
  EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url("https://10.0.0.1/in"))));
  EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url("https://169.254.169.254/"))));
  EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url("https://localhost/"))));
  EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url("https://[::1]/"))));
  // An IPv4 address in IPv6 clothes is judged as the IPv4 address it is.
  const absl::Status mapped = p->CheckUrl("u", Url("https://[::ffff:169.254.169.254]/"));
  EXPECT_NE(mapped.message().find("169.254.169.254 is internal"), absl::string_view::npos)
      << mapped;
  EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url("https://[2002:a9fe:a9fe::]/"))));
  // Through a translator: IPv4-translated (SIIT) and the local-use NAT64 prefix.
  for (const char* translated : {"https://[::ffff:0:a9fe:a9fe]/", "https://[::ffff:0:a00:1]/",
                                 "https://[64:ff9b:1::a00:1]/"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(p->CheckUrl("u", Url(translated)))) << translated;
  }
}

}  // namespace
}  // namespace itsm::webhooks
