// FibMirror: zebra 8.4.4's FPM behaviours (FPM.md) as decision tables and scenarios.
#include "fpm_client/fib_mirror.h"

#include <gtest/gtest.h>

#include "fib_test_util.h"

namespace hr::fpm_client::test {
namespace {

struct MirrorFixture : ::testing::Test {
  FibMirror m;
  PathInterner interner;
  IfNames names = torLinks();

  void frame(std::vector<FpmMessage> msgs) {
    m.applyFrame(msgs);
  }
  Resolution res(const std::string& p, uint32_t table = 254) {
    return m.resolve(key(p, table), names, interner);
  }
  std::vector<std::string> paths(const std::string& p) {
    auto r = res(p);
    std::vector<std::string> out;
    if (r.spec && r.spec->paths) {
      for (const auto& x : *r.spec->paths) {
        out.push_back(x.str());
      }
    }
    return out;
  }
};

TEST_F(MirrorFixture, DeleteAndNewInOneFrameIsAReplace) {
  frame({nh(16, "10.0.1.1", 2), nh(18, "10.0.2.1", 3), group(28, {16, 18})});
  frame({route("10.201.0.0/24", 16)});
  m.takeDirty();
  frame({delRoute("10.201.0.0/24"), route("10.201.0.0/24", 28)});
  EXPECT_EQ(m.stats().replacePairs, 1u);
  EXPECT_EQ(m.stats().routeDeletes, 0u);
  EXPECT_EQ(m.stats().routeChanges, 1u);
  ASSERT_NE(m.find(key("10.201.0.0/24")), nullptr);
  EXPECT_EQ(m.takeDirty().size(), 1u);
  EXPECT_EQ(
      paths("10.201.0.0/24"),
      (std::vector<std::string>{"via 10.0.1.1 dev swp1", "via 10.0.2.1 dev swp2"}));
}

TEST_F(MirrorFixture, DeleteAloneOrForAnotherPrefixIsADelete) {
  frame({route("10.1.0.0/24", 0, {{"10.0.1.1", 2}}), route("10.2.0.0/24", 0, {{"10.0.1.1", 2}})});
  frame({delRoute("10.1.0.0/24"), route("10.2.0.0/24", 0, {{"10.0.2.1", 3}})});
  EXPECT_EQ(m.stats().replacePairs, 0u);
  EXPECT_EQ(m.find(key("10.1.0.0/24")), nullptr);
  EXPECT_EQ(paths("10.2.0.0/24"), (std::vector<std::string>{"via 10.0.2.1 dev swp2"}));
  frame({delRoute("10.9.0.0/24")});
  EXPECT_EQ(m.stats().deleteUnknown, 1u);
}

TEST_F(MirrorFixture, GroupBeforeItsMembersIsHeldUntilTheyArrive) {
  // Replay order seen on 8.4.4: group 29=[30,31] before 30 and 31.
  frame({group(29, {30, 31})});
  frame({route("192.0.2.0/24", 29)});
  auto r = res("192.0.2.0/24");
  EXPECT_EQ(r.hold, Hold::GroupIncomplete);
  EXPECT_FALSE(r.spec);
  m.setHeld(key("192.0.2.0/24"), true);
  m.takeDirty();
  frame({nh(30, "10.0.1.1", 2)});
  EXPECT_EQ(m.takeDirty().size(), 1u);  // the held route is retried
  EXPECT_EQ(res("192.0.2.0/24").hold, Hold::GroupIncomplete);
  frame({nh(31, "10.0.2.1", 3)});
  EXPECT_EQ(m.takeDirty().size(), 1u);
  EXPECT_EQ(res("192.0.2.0/24").hold, Hold::None);
  EXPECT_EQ(paths("192.0.2.0/24").size(), 2u);
}

TEST_F(MirrorFixture, RouteBeforeItsNexthopIsHeld) {
  frame({route("10.1.0.0/24", 77)});
  EXPECT_EQ(res("10.1.0.0/24").hold, Hold::NexthopMissing);
}

TEST_F(MirrorFixture, UnchangedResendIsNoChange) {
  frame({nh(16, "10.0.1.1", 2), route("10.1.0.0/24", 16)});
  m.takeDirty();
  uint64_t gen = m.beginSession();
  frame({nh(16, "10.0.1.1", 2), route("10.1.0.0/24", 16)});
  EXPECT_TRUE(m.takeDirty().empty());
  EXPECT_EQ(m.stats().routeRefreshes, 1u);
  EXPECT_EQ(m.stats().nexthopRefreshes, 1u);
  EXPECT_EQ(m.find(key("10.1.0.0/24"))->generation, gen);
}

TEST_F(MirrorFixture, NexthopReplaceDirtiesItsUsersThroughGroups) {
  frame({nh(16, "10.0.1.1", 2), nh(18, "10.0.2.1", 3), group(28, {16, 18})});
  frame({route("10.1.0.0/24", 28), route("10.2.0.0/24", 16), route("10.3.0.0/24", 18)});
  m.takeDirty();
  frame({nh(16, "10.0.1.7", 2)});  // same id, new gateway: a replace
  auto d = m.takeDirty();
  std::sort(d.begin(), d.end());
  EXPECT_EQ(d, (std::vector<FibKey>{key("10.1.0.0/24"), key("10.2.0.0/24")}));
}

TEST_F(MirrorFixture, NhgAndInlineModesResolveToTheSameInternedPaths) {
  frame({nh(16, "10.0.1.1", 2), nh(18, "10.0.2.1", 3), group(28, {18, 16})});
  frame({route("10.1.0.0/24", 28), route("10.2.0.0/24", 0, {{"10.0.1.1", 2}, {"10.0.2.1", 3}})});
  auto a = res("10.1.0.0/24");
  auto b = res("10.2.0.0/24");
  ASSERT_TRUE(a.spec && b.spec);
  EXPECT_EQ(a.spec->paths.get(), b.spec->paths.get());  // one shared path set
  EXPECT_EQ(*a.spec, *b.spec);
}

TEST_F(MirrorFixture, UnknownIfindexIsHeldByName) {
  frame({route("10.1.0.0/24", 0, {{"10.0.9.1", 9}})});
  auto r = res("10.1.0.0/24");
  EXPECT_EQ(r.hold, Hold::UnknownInterface);
  names[9] = "swp9";
  EXPECT_EQ(paths("10.1.0.0/24"), (std::vector<std::string>{"via 10.0.9.1 dev swp9"}));
}

TEST_F(MirrorFixture, ConnectedBlackholeAndTableRoutes) {
  frame({route("10.0.1.0/31", 0, {{"", 2}}, 2)});
  EXPECT_EQ(paths("10.0.1.0/31"), (std::vector<std::string>{"dev swp1"}));
  auto bh = route("203.0.113.128/25", 0, {}, 196);
  bh.type = RTN_BLACKHOLE;
  frame({bh});
  auto r = res("203.0.113.128/25");
  ASSERT_TRUE(r.spec);
  EXPECT_EQ(r.spec->kind, RouteKind::Blackhole);
  frame({route("198.18.1.0/24", 0, {{"10.0.2.1", 3}}, 196, 1000)});
  EXPECT_NE(m.find(key("198.18.1.0/24", 1000)), nullptr);
  // A blackhole next-hop object makes a blackhole route.
  nl::NexthopMsg b;
  b.id = 15;
  b.blackhole = true;
  b.family = AF_INET;
  frame({b, route("192.0.2.99/32", 15)});
  EXPECT_EQ(res("192.0.2.99/32").spec->kind, RouteKind::Blackhole);
}

TEST_F(MirrorFixture, SweepRemovesWhatTheSessionDidNotResendInReplayedTablesOnly) {
  frame({nh(16, "10.0.1.1", 2), nh(17, "10.0.2.1", 3)});
  frame({route("10.1.0.0/24", 16), route("10.2.0.0/24", 17), route("10.3.0.0/24", 16)});
  frame({route("198.18.1.0/24", 0, {{"10.0.2.1", 3}}, 196, 1000)});
  m.takeDirty();
  m.beginSession();
  frame({nh(16, "10.0.1.1", 2), route("10.1.0.0/24", 16), route("10.3.0.0/24", 16)});
  auto removed = m.sweep([](uint32_t t) { return t == 254; });
  EXPECT_EQ(removed, (std::vector<FibKey>{key("10.2.0.0/24")}));
  EXPECT_NE(m.find(key("198.18.1.0/24", 1000)), nullptr);  // never replayed: not swept
  EXPECT_EQ(m.nexthop(17), nullptr);                       // not re-sent and unused
  EXPECT_NE(m.nexthop(16), nullptr);
}

TEST_F(MirrorFixture, ReconcileTableFromTheKernelKeepsLiveUpdates) {
  frame(
      {route("198.18.1.0/24", 0, {{"10.0.2.1", 3}}, 196, 1000),
       route("198.18.2.0/24", 0, {{"10.0.2.1", 3}}, 196, 1000)});
  m.beginSession();
  frame({route("198.18.3.0/24", 0, {{"10.0.1.1", 2}}, 196, 1000)});  // live, this session
  ZRoute k;
  k.protocol = 196;
  k.paths = {ZPath{ip("10.0.1.1"), 2, 1, false}};
  m.reconcileTable(1000, {{pfx("198.18.1.0/24"), k}});
  EXPECT_NE(m.find(key("198.18.1.0/24", 1000)), nullptr);
  EXPECT_TRUE(m.find(key("198.18.1.0/24", 1000))->fromKernel);
  EXPECT_EQ(m.find(key("198.18.2.0/24", 1000)), nullptr);  // gone from the kernel
  EXPECT_NE(m.find(key("198.18.3.0/24", 1000)), nullptr);  // sent live: kept
}

TEST_F(MirrorFixture, DecodeSkipsMplsAndRefusesMalformed) {
  auto p = payload(route("10.1.0.0/24", 16));
  uint64_t ignored = 0;
  auto ok = decodeFpmPayload(p, ignored);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), 1u);
  p[16] = 28;  // AF_MPLS
  auto mpls = decodeFpmPayload(p, ignored);
  ASSERT_TRUE(mpls);
  EXPECT_TRUE(mpls->empty());
  EXPECT_EQ(ignored, 1u);
  p = payload(route("10.1.0.0/24", 16));
  p.resize(p.size() - 2);
  EXPECT_FALSE(decodeFpmPayload(p, ignored));
}

}  // namespace
}  // namespace hr::fpm_client::test
