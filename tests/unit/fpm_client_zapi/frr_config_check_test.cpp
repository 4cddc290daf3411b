// The FRR configuration check on running configurations as FRR 8.4's vtysh prints them.
#include "fpm_client/frr_config_check.h"

#include <gtest/gtest.h>

#include <string>

namespace hr::fpm_client {
namespace {

const char* kHeader = R"(Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults datacenter
hostname tor1
!
interface swp1
 ip ospf area 0.0.0.0
exit
!
)";

// The eBGP + OSPF configuration docs/frr-config.md prescribes.
const char* kComplete = R"(router bgp 65001
 bgp router-id 10.0.0.11
 no bgp ebgp-requires-policy
 neighbor 10.0.1.1 remote-as 65000
 neighbor 2001:db8:f1::1 remote-as 65000
 !
 address-family ipv4 unicast
  redistribute connected
  redistribute table route-map HOSTROUTES-OUT
  neighbor 10.0.1.1 route-map FABRIC-IN in
 exit-address-family
 !
 address-family ipv6 unicast
  redistribute table route-map HOSTROUTES-OUT
  neighbor 2001:db8:f1::1 activate
  neighbor 2001:db8:f1::1 route-map FABRIC-IN in
 exit-address-family
exit
!
router ospf
 ospf router-id 10.0.0.11
 redistribute table
exit
!
router ospf6
 redistribute table
exit
!
route-map HOSTROUTES-OUT permit 10
 match tag 2
 set as-path prepend 65001 65001
 set weight 0
 set community 65001:100 additive
exit
!
route-map HOSTROUTES-OUT permit 20
 set community 65001:100 additive
exit
!
route-map FABRIC-IN permit 10
 set weight 1
exit
!
end
)";

TEST(FrrConfigCheck, CompleteConfigIsOkWithTheMoveSignal) {
  InjectionConfig cfg;
  auto r = checkFrrConfig(std::string(kHeader) + kComplete, cfg);
  EXPECT_TRUE(r.ok());
  for (const auto& p : r.problems) {
    ADD_FAILURE() << p;
  }
  for (const auto& w : r.warnings) {
    ADD_FAILURE() << w;
  }
  EXPECT_EQ(*r.bgpAsn, 65001u);
  EXPECT_TRUE(r.ospf);
  EXPECT_TRUE(r.ospf6);
  ASSERT_EQ(r.redistribute.size(), 4u);
  EXPECT_EQ(r.redistribute[0].where, "bgp ipv4 unicast");
  EXPECT_EQ(r.redistribute[0].routeMap, "HOSTROUTES-OUT");
  EXPECT_TRUE(r.moveSignalBgp);
}

TEST(FrrConfigCheck, MissingRedistributeIsAProblem) {
  std::string conf = std::string(kHeader) + R"(router bgp 65001
 address-family ipv4 unicast
  redistribute table
 exit-address-family
exit
!
router ospf
 redistribute connected
exit
!
end
)";
  auto r = checkFrrConfig(conf, InjectionConfig{});
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(
      r.problems[0].find("address-family ipv6 unicast: no 'redistribute table'"), std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[1].find("router ospf: no 'redistribute table'"), std::string::npos)
      << r.problems[1];
  // No route-map: the eBGP move signal falls back to the learner's hold time.
  EXPECT_FALSE(r.moveSignalBgp);
  EXPECT_FALSE(r.warnings.empty());
}

TEST(FrrConfigCheck, InstanceTableIsNotTableZeroAndUndefinedRouteMapDeniesAll) {
  std::string conf = std::string(kHeader) + R"(router bgp 65001
 address-family ipv4 unicast
  redistribute table 10
 exit-address-family
 address-family ipv6 unicast
  redistribute table route-map NOPE
 exit-address-family
exit
!
end
)";
  auto r = checkFrrConfig(conf, InjectionConfig{});
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("no 'redistribute table'"), std::string::npos);
  EXPECT_NE(
      r.problems[1].find("route-map NOPE' names a route-map that does not exist"),
      std::string::npos)
      << r.problems[1];
}

TEST(FrrConfigCheck, KernelTableMethodNeedsImportTable) {
  InjectionConfig cfg;
  cfg.method = InjectionMethod::KernelTable;
  cfg.moveSignal = false;
  std::string conf = std::string(kHeader) + R"(ip import-table 10
!
router bgp 65001
 address-family ipv4 unicast
  redistribute table 10
 exit-address-family
 address-family ipv6 unicast
  redistribute table
 exit-address-family
exit
!
router ospf
 redistribute table 10
exit
!
end
)";
  auto r = checkFrrConfig(conf, cfg);
  EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0]);
  EXPECT_TRUE(r.importTable);
  auto missing =
      checkFrrConfig(std::string(kHeader) + "router ospf\n redistribute table\nexit\n", cfg);
  EXPECT_FALSE(missing.ok());
  EXPECT_FALSE(missing.importTable);
}

TEST(FrrConfigCheck, NoRoutingProtocolAtAll) {
  auto r = checkFrrConfig(kHeader, InjectionConfig{});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("neither router bgp nor router ospf"), std::string::npos);
}

}  // namespace
}  // namespace hr::fpm_client
