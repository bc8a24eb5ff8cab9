#include "itsm/slamodel/coverage.h"

#include "gtest/gtest.h"

namespace itsm::slamodel {
namespace {

sla::v1::SlaDefinition Vpn() {
  sla::v1::SlaDefinition d;
  d.mutable_coverage()->add_services("vpn");
  d.mutable_coverage()->add_services("remote-access");
  return d;
}

TEST(Covers, TheServiceMustBeListed) {
  EXPECT_TRUE(Covers(Vpn(), {.service = "vpn"}));
  EXPECT_TRUE(Covers(Vpn(), {.service = "remote-access", .category = "any", .ci_class = "server"}));
  EXPECT_FALSE(Covers(Vpn(), {.service = "mail"}));
  EXPECT_FALSE(Covers(Vpn(), {}));
}

// An empty list matches every value, "" included; a list that is not empty matches only the
// values it lists, so a record without the field is not covered.
TEST(Covers, EachRestrictingListMustListTheRecordsValue) {
  auto network = Vpn();
  network.mutable_coverage()->add_categories("network");
  EXPECT_TRUE(Covers(network, {.service = "vpn", .category = "network"}));
  EXPECT_FALSE(Covers(network, {.service = "vpn", .category = "hardware"}));
  EXPECT_FALSE(Covers(network, {.service = "vpn"}));

  auto servers = Vpn();
  servers.mutable_coverage()->add_ci_classes("server");
  EXPECT_TRUE(Covers(servers, {.service = "vpn", .ci_class = "server"}));
  EXPECT_FALSE(Covers(servers, {.service = "vpn", .ci_class = ""}));

  auto laptops = Vpn();
  laptops.mutable_coverage()->add_request_types("new-laptop");
  EXPECT_TRUE(Covers(laptops, {.service = "vpn", .request_type = "new-laptop"}));
  EXPECT_FALSE(Covers(laptops, {.service = "vpn"}));  // an incident has no request type

  auto all = network;
  all.mutable_coverage()->add_ci_classes("server");
  all.mutable_coverage()->add_request_types("new-laptop");
  const CoverageFields match = {
      .service = "vpn", .category = "network", .ci_class = "server", .request_type = "new-laptop"};
  EXPECT_TRUE(Covers(all, match));
  for (auto miss :
       {&CoverageFields::category, &CoverageFields::ci_class, &CoverageFields::request_type}) {
    CoverageFields record = match;
    record.*miss = "other";
    EXPECT_FALSE(Covers(all, record));
  }
}

}  // namespace
}  // namespace itsm::slamodel
