// Admission against switch profiles: shorter prefixes first, independent of arrival order,
// eviction and refill, ECMP groups and members, thresholds.
#include "fpm_client/profile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "fib_test_util.h"

namespace hr::fpm_client::test {
namespace {

SwitchProfile tiny(std::optional<uint32_t> lpm, std::optional<uint32_t> host = std::nullopt) {
  SwitchProfile p;
  p.name = "tiny";
  p.capacity[static_cast<size_t>(Resource::LpmRoutes)] = lpm;
  p.capacity[static_cast<size_t>(Resource::HostRoutes)] = host;
  return p;
}

struct AdmissionFixture : ::testing::Test {
  PathInterner interner;
  RouteSpec spec(std::vector<std::string> gws, uint8_t proto = 186) {
    RouteSpec s;
    s.protocol = proto;
    PathSet ps;
    for (const auto& g : gws) {
      ps.push_back(Path{ip(g), "swp1", 1, false});
    }
    s.paths = interner.intern(ps);
    return s;
  }
  std::set<std::string> admittedOf(const Admission& a, const std::vector<std::string>& prefixes) {
    std::set<std::string> out;
    for (const auto& p : prefixes) {
      if (a.admitted(key(p)) != nullptr) {
        out.insert(p);
      }
    }
    return out;
  }
};

TEST_F(AdmissionFixture, ShorterPrefixesFirstWhateverTheArrivalOrder) {
  std::vector<std::string> prefixes = {
      "10.0.0.0/8", "10.1.0.0/16", "10.1.1.0/24", "10.1.2.0/24", "10.1.1.128/25", "0.0.0.0/0"};
  std::set<std::string> want = {"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16"};
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(prefixes.begin(), prefixes.end(), rng);
    Admission a(tiny(3));
    std::vector<FibKey> changed;
    for (const auto& p : prefixes) {
      a.update(key(p), spec({"10.0.1.1"}), changed);
    }
    EXPECT_EQ(admittedOf(a, prefixes), want);
    EXPECT_EQ(a.used(Resource::LpmRoutes), 3u);
    EXPECT_EQ(a.refusedCount(), 3u);
    EXPECT_EQ(a.refusal(key("10.1.1.128/25")), Refusal::LpmRoutes);
  }
}

// prestera offloads IPv4 only: IPv6 routes are programmed (the kernel forwards them in
// software), use none of the tables and are never refused for capacity.
TEST_F(AdmissionFixture, FamilyNotOffloadedIsProgrammedWithoutUsingTheTables) {
  auto prof = tiny(1, 1);
  prof.offloadIpv6 = false;
  Admission a(prof);
  std::vector<FibKey> changed;
  for (const auto* p : {"10.1.0.0/24", "10.2.0.0/24", "10.0.0.1/32", "10.0.0.2/32"}) {
    a.update(key(p), spec({"10.0.1.1"}), changed);
  }
  RouteSpec v6;
  v6.protocol = 186;
  v6.paths = interner.intern({Path{ip("fe80::1"), "swp1", 1, false}});
  changed.clear();
  for (const auto* p : {"2001:db8::/48", "2001:db8:1::/48", "2001:db8::1/128", "2001:db8::2/128"}) {
    a.update(key(p), v6, changed);
    EXPECT_NE(a.admitted(key(p)), nullptr) << p;
    EXPECT_TRUE(a.softwareOnly(key(p))) << p;
    EXPECT_EQ(a.refusal(key(p)), Refusal::None) << p;
  }
  EXPECT_EQ(changed.size(), 4u);  // each is programmed
  EXPECT_EQ(a.softwareOnlyCount(), 4u);
  EXPECT_EQ(a.used(Resource::LpmRoutes), 1u);  // IPv4 only
  EXPECT_EQ(a.used(Resource::HostRoutes), 1u);
  EXPECT_EQ(a.refusedCount(), 2u);  // 10.2.0.0/24 and 10.0.0.2/32
  EXPECT_FALSE(a.softwareOnly(key("10.1.0.0/24")));
  // A profile that offloads IPv6 as well: the IPv6 routes now compete for the tables.
  prof.offloadIpv6 = true;
  changed.clear();
  a.setProfile(prof, changed);
  EXPECT_EQ(a.softwareOnlyCount(), 0u);
  EXPECT_EQ(a.used(Resource::LpmRoutes), 1u);
  EXPECT_EQ(a.refusedCount(), 6u);
  // Withdrawn while software-only: nothing leaks.
  prof.offloadIpv6 = false;
  a.setProfile(prof, changed);
  for (const auto* p : {"2001:db8::/48", "2001:db8:1::/48", "2001:db8::1/128", "2001:db8::2/128"}) {
    a.update(key(p), std::nullopt, changed);
  }
  EXPECT_EQ(a.softwareOnlyCount(), 0u);
  EXPECT_EQ(a.refusedCount(), 2u);
}

TEST_F(AdmissionFixture, NewcomerEvictsTheWorstAndAWithdrawalRefills) {
  Admission a(tiny(2));
  std::vector<FibKey> changed;
  a.update(key("10.1.1.0/24"), spec({"10.0.1.1"}), changed);
  a.update(key("10.1.2.0/24"), spec({"10.0.1.1"}), changed);
  changed.clear();
  a.update(key("10.2.0.0/16"), spec({"10.0.1.1"}), changed);
  // 10.1.2.0/24 (same length as 10.1.1.0/24, higher address) is evicted.
  EXPECT_NE(a.admitted(key("10.2.0.0/16")), nullptr);
  EXPECT_EQ(a.admitted(key("10.1.2.0/24")), nullptr);
  EXPECT_NE(std::find(changed.begin(), changed.end(), key("10.1.2.0/24")), changed.end());
  changed.clear();
  a.update(key("10.2.0.0/16"), std::nullopt, changed);
  EXPECT_NE(a.admitted(key("10.1.2.0/24")), nullptr);
  EXPECT_EQ(a.refusedCount(), 0u);
}

TEST_F(AdmissionFixture, ProtocolClassBreaksTiesConnectedFirst) {
  Admission a(tiny(1));
  std::vector<FibKey> changed;
  a.update(key("10.1.1.0/24"), spec({"10.0.1.1"}, 186), changed);
  a.update(key("10.9.9.0/24"), spec({"10.0.1.1"}, 2), changed);
  EXPECT_NE(a.admitted(key("10.9.9.0/24")), nullptr);
  EXPECT_EQ(a.admitted(key("10.1.1.0/24")), nullptr);
}

TEST_F(AdmissionFixture, HostAndLpmPoolsAreSeparate) {
  Admission a(tiny(1, 2));
  std::vector<FibKey> changed;
  for (auto p : {"10.1.0.1/32", "10.1.0.2/32", "10.1.0.3/32", "10.2.0.0/24", "2001:db8::1/128"}) {
    a.update(key(p), spec({"10.0.1.1"}), changed);
  }
  EXPECT_EQ(a.used(Resource::HostRoutes), 2u);
  EXPECT_EQ(a.used(Resource::LpmRoutes), 1u);
  // Host routes tie on (relative) length; IPv4 ranks before IPv6, then by address.
  EXPECT_NE(a.admitted(key("10.1.0.1/32")), nullptr);
  EXPECT_NE(a.admitted(key("10.1.0.2/32")), nullptr);
  EXPECT_EQ(a.refusal(key("10.1.0.3/32")), Refusal::HostRoutes);
  EXPECT_EQ(a.refusal(key("2001:db8::1/128")), Refusal::HostRoutes);
}

TEST_F(AdmissionFixture, EcmpGroupsAndMembers) {
  SwitchProfile p;
  p.capacity[static_cast<size_t>(Resource::EcmpGroups)] = 1;
  p.capacity[static_cast<size_t>(Resource::EcmpMembers)] = 4;
  Admission a(p);
  std::vector<FibKey> changed;
  a.update(key("10.1.0.0/24"), spec({"10.0.1.1", "10.0.2.1"}), changed);
  a.update(key("10.2.0.0/24"), spec({"10.0.1.1", "10.0.2.1"}), changed);  // same group
  a.update(key("10.3.0.0/24"), spec({"10.0.1.1", "10.0.3.1"}), changed);  // a second group
  EXPECT_EQ(a.used(Resource::EcmpGroups), 1u);
  EXPECT_EQ(a.used(Resource::EcmpMembers), 2u);
  EXPECT_EQ(a.refusal(key("10.3.0.0/24")), Refusal::EcmpGroups);
  a.update(key("10.4.0.0/24"), spec({"10.0.1.1"}), changed);  // single path: no group
  EXPECT_NE(a.admitted(key("10.4.0.0/24")), nullptr);
  // The first group goes: the waiting route gets it.
  changed.clear();
  a.update(key("10.1.0.0/24"), std::nullopt, changed);
  a.update(key("10.2.0.0/24"), spec({"10.0.1.1"}), changed);
  EXPECT_NE(a.admitted(key("10.3.0.0/24")), nullptr);
  EXPECT_NE(std::find(changed.begin(), changed.end(), key("10.3.0.0/24")), changed.end());
  EXPECT_EQ(a.refusedCount(), 0u);
}

TEST_F(AdmissionFixture, GroupSizeLimitRefusesWideEcmp) {
  SwitchProfile p;
  p.ecmpMaxPaths = 2;  // e.g. a driver with small next-hop groups
  Admission a(p);
  std::vector<FibKey> changed;
  a.update(key("10.1.0.0/24"), spec({"10.0.1.1", "10.0.2.1"}), changed);
  a.update(key("10.2.0.0/24"), spec({"10.0.1.1", "10.0.2.1", "10.0.3.1"}), changed);
  EXPECT_NE(a.admitted(key("10.1.0.0/24")), nullptr);
  EXPECT_EQ(a.refusal(key("10.2.0.0/24")), Refusal::EcmpPaths);
  // The route loses a path: now it fits.
  a.update(key("10.2.0.0/24"), spec({"10.0.1.1", "10.0.3.1"}), changed);
  EXPECT_NE(a.admitted(key("10.2.0.0/24")), nullptr);
  EXPECT_EQ(a.refusedCount(), 0u);
}

TEST_F(AdmissionFixture, ThresholdWarnsOncePerCrossing) {
  auto p = tiny(10);
  p.warnPercent = 50;
  Admission a(p);
  std::vector<FibKey> changed;
  for (int i = 0; i < 4; ++i) {
    a.update(key(fmt::format("10.{}.0.0/16", i)), spec({"10.0.1.1"}), changed);
  }
  EXPECT_TRUE(a.takeEvents().empty());
  a.update(key("10.4.0.0/16"), spec({"10.0.1.1"}), changed);
  auto ev = a.takeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].up);
  EXPECT_EQ(ev[0].resource, Resource::LpmRoutes);
  a.update(key("10.5.0.0/16"), spec({"10.0.1.1"}), changed);
  EXPECT_TRUE(a.takeEvents().empty());
  for (int i = 0; i < 3; ++i) {
    a.update(key(fmt::format("10.{}.0.0/16", i)), std::nullopt, changed);
  }
  ev = a.takeEvents();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0].up);
}

TEST_F(AdmissionFixture, ProfileChangeReadmits) {
  Admission a(tiny(1));
  std::vector<FibKey> changed;
  a.update(key("10.1.0.0/24"), spec({"10.0.1.1"}), changed);
  a.update(key("10.2.0.0/24"), spec({"10.0.1.1"}), changed);
  EXPECT_EQ(a.refusedCount(), 1u);
  changed.clear();
  a.setProfile(tiny(std::nullopt), changed);
  EXPECT_EQ(a.refusedCount(), 0u);
  EXPECT_EQ(changed, (std::vector<FibKey>{key("10.2.0.0/24")}));
}

}  // namespace
}  // namespace hr::fpm_client::test
