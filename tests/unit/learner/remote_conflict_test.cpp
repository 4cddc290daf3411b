// A live host that another router also advertises, on an interface that is not dual-attached:
// a conflict across the fabric (docs/host-routing.md "Duplicates across the fabric"). The
// router that had the host first defends it (re-claims), flags it duplicate and counts it; the
// newcomer's router (another router's route was there when the host arrived) yields: no
// publication, its held route loses in zebra and is not advertised. A real move (the old
// binding silent) still moves at once, and only dual-attached interfaces share.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hostroute_learner/host_table.h"
#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

const char* kMac = "02:aa:00:00:00:01";
const char* kAddr = "10.1.0.11";

nlohmann::json host(Harness& h, const char* a = kAddr) {
  return h.table.hostJson("", ip(a), h.now).value();
}

std::vector<std::string> events(const nlohmann::json& j) {
  std::vector<std::string> r;
  for (const auto& e : j["timeline"]) {
    r.push_back(e["event"].get<std::string>() + ": " + e["detail"].get<std::string>());
  }
  return r;
}

bool hasEvent(const nlohmann::json& j, const std::string& ev) {
  for (const auto& e : j["timeline"]) {
    if (e["event"] == ev) {
      return true;
    }
  }
  return false;
}

LearnerConfig dualAttached(std::vector<std::string> ports = {}) {
  auto c = baseConfig();
  c.interfaces[0].dualAttached = DualAttached{"tor2", std::move(ports)};
  return c;
}

// The host has been here a while (learned at 0, its arrival grace over at 3 s) when another
// router starts advertising it at 5 s; it answers the verification.
void incumbentConflict(Harness& h) {
  h.see(kAddr, kMac);
  h.installed(kAddr);
  h.advanceTo(5);
  h.out.clear();
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  auto probes = h.take<ProbeAction>();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].reason, ProbeReason::VerifyRemote);
  h.advanceTo(5.01);
  h.see(kAddr, kMac, Source::ArpReply);
}

TEST(RemoteConflict, TheFirstRouterKeepsTheHostReClaimsAndFlagsIt) {
  Harness h;
  incumbentConflict(h);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].add);
  EXPECT_EQ(p[0].flags, kFlagClaim);  // re-claimed: never shared without the opt-in
  auto j = host(h);
  EXPECT_EQ(j["state"], "active");
  EXPECT_TRUE(j["duplicate"].get<bool>());
  EXPECT_FALSE(j["shared"].get<bool>());
  EXPECT_EQ(j["duplicateOf"]["remote"], true);
  EXPECT_EQ(j["duplicateOf"]["role"], "first");
  EXPECT_EQ(j["duplicateOf"]["protocol"], "bgp");
  EXPECT_TRUE(hasEvent(j, "duplicate")) << ::testing::PrintToString(events(j));
  EXPECT_EQ(h.counter("mobility.conflicts"), 1u);
  EXPECT_EQ(h.counter("mobility.remote_conflicts"), 1u);
  EXPECT_EQ(h.counter("mobility.conflicts_defended"), 1u);
  EXPECT_EQ(h.counter("mobility.conflicts_yielded"), 0u);
  EXPECT_EQ(h.counter("mobility.shared"), 0u);
  bool warned = false;
  for (const auto& a : h.out) {
    if (const auto* l = std::get_if<LogAction>(&a)) {
      warned |= l->warn && l->text.find("event=host_duplicate ") != std::string::npos &&
                l->text.find("newcomer=other-router") != std::string::npos;
    }
  }
  EXPECT_TRUE(warned);
  // The newcomer yields: the other copy leaves (zebra selects our claim again), nothing more.
  h.out.clear();
  h.table.remoteRoute("", ip(kAddr), false, "bgp", h.now, h.out);
  h.advanceTo(9);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  // The flag clears once no other router's copy was seen for the hold time (10 s).
  EXPECT_TRUE(host(h)["duplicate"].get<bool>());
  h.see(kAddr, kMac, Source::ArpRequest);
  h.advanceTo(15.02);
  EXPECT_FALSE(host(h)["duplicate"].get<bool>());
}

// The newcomer: another router's route is reported when the host arrives (fpm_client
// emits it on the new intent), then hidden by our claim; after the claim relaxes, the first
// router's copy is selected over our held route again; at the end of the arrival grace the
// host here is verified, answers, and this router yields.
TEST(RemoteConflict, TheNewcomerYieldsWithoutPublishing) {
  Harness h;
  h.see(kAddr, kMac);
  ASSERT_EQ(h.take<PublishAction>()[0].flags, kFlagClaim);
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);  // on arrival
  h.advanceTo(0.02);
  h.table.remoteRoute("", ip(kAddr), false, "bgp", h.now, h.out);  // our claim won in zebra
  h.advanceTo(2.1);
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);  // our hold lost again
  EXPECT_TRUE(h.take<ProbeAction>().empty());  // within the grace: checked when it ends
  EXPECT_TRUE(host(h)["contested"].get<bool>());
  h.out.clear();
  h.advanceTo(3);
  auto probes = h.take<ProbeAction>();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].reason, ProbeReason::VerifyRemote);
  h.see(kAddr, kMac, Source::ArpReply);
  EXPECT_TRUE(h.take<PublishAction>().empty());  // yielded: our held route stays held
  auto j = host(h);
  EXPECT_EQ(j["state"], "active");
  EXPECT_TRUE(j["duplicate"].get<bool>());
  EXPECT_EQ(j["duplicateOf"]["role"], "newcomer");
  EXPECT_EQ(h.counter("mobility.conflicts_yielded"), 1u);
  EXPECT_EQ(h.counter("mobility.conflicts_defended"), 0u);
  // Further signals of the first router's copy change nothing; the flag stays while it is
  // there, well past the hold time.
  h.out.clear();
  for (double t = 4; t <= 30; t += 1) {
    h.advanceTo(t);
    h.see(kAddr, kMac, Source::ArpRequest);
    h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  }
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  EXPECT_TRUE(host(h)["duplicate"].get<bool>());
  // The first router withdraws it (its host is gone): ours is selected and advertised now.
  h.table.remoteRoute("", ip(kAddr), false, "bgp", h.now, h.out);
  j = host(h);
  EXPECT_FALSE(j["duplicate"].get<bool>());
  EXPECT_FALSE(j["contested"].get<bool>());
}

TEST(RemoteConflict, ARealMoveHereSettlesAndThisRouterIsTheFirstAfterwards) {
  Harness h;
  h.see(kAddr, kMac);
  h.table.remoteRoute("", ip(kAddr), true, "ospf", h.now, h.out);  // the old location
  h.advanceTo(0.02);
  h.installed(kAddr);                                               // our claim won
  h.table.remoteRoute("", ip(kAddr), false, "ospf", h.now, h.out);  // it withdrew
  h.advanceTo(3);  // grace over, no other copy: settled
  auto j = host(h);
  EXPECT_FALSE(j["contested"].get<bool>());
  EXPECT_TRUE(hasEvent(j, "settled")) << ::testing::PrintToString(events(j));
  // A spoofer elsewhere later: this router had it first and defends.
  h.advanceTo(5);
  h.see(kAddr, kMac, Source::ArpRequest);
  h.advanceTo(10);
  h.out.clear();
  h.table.remoteRoute("", ip(kAddr), true, "ospf", h.now, h.out);
  h.see(kAddr, kMac, Source::ArpReply);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, kFlagClaim);
  EXPECT_EQ(host(h)["duplicateOf"]["role"], "first");
}

// The real host arrived here moments ago (within its arrival grace) and its route is
// installed; then a spoofer elsewhere claims it: that router arrived after us. Verified at
// once (not deferred to the end of the grace), defended.
TEST(RemoteConflict, ACopyAfterOursWasInstalledIsANewcomerEvenWithinTheGrace) {
  Harness h;
  h.see(kAddr, kMac);
  h.advanceTo(0.02);
  h.installed(kAddr);
  h.advanceTo(1.3);
  h.out.clear();
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, ProbeReason::VerifyRemote);
  h.advanceTo(1.31);
  h.see(kAddr, kMac, Source::ArpReply);
  auto pub = h.take<PublishAction>();
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub[0].flags, kFlagClaim);
  EXPECT_EQ(host(h)["duplicateOf"]["role"], "first");
  EXPECT_FALSE(host(h)["contested"].get<bool>());
  // The grace ends: nothing more (no second verification, no second defence).
  h.out.clear();
  h.advanceTo(3.1);
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  EXPECT_EQ(h.counter("mobility.conflicts_defended"), 1u);
}

TEST(RemoteConflict, TheOldBindingSilentStillMovesAwayAtOnce) {
  Harness h;
  h.see(kAddr, kMac);
  h.installed(kAddr);
  h.advanceTo(5);
  h.out.clear();
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  h.advanceTo(5.3);  // no answer within verify-time
  auto w = h.take<PublishAction>();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_FALSE(w[0].add);
  auto j = host(h);
  EXPECT_EQ(j["reason"], "moved-away");
  EXPECT_FALSE(j["duplicate"].get<bool>());
  EXPECT_EQ(h.counter("mobility.remote_conflicts"), 0u);
}

// After a move away the kernel still has the host's neighbour entry and walks it through
// STALE/DELAY/PROBE: none of that is a sign of life, and it must not bring the host back as a
// "move back" (found by the IPv6 VM move in the lab: a claim from the old ToR, a false
// conflict at the new one).
TEST(RemoteConflict, AStaleKernelEntryDoesNotBringAMovedAwayHostBack) {
  Harness h;
  h.see(kAddr, kMac);
  h.installed(kAddr);
  h.advanceTo(5);
  h.table.remoteRoute("", ip(kAddr), true, "ospf6", h.now, h.out);
  h.advanceTo(5.3);
  ASSERT_EQ(host(h)["reason"], "moved-away");
  h.out.clear();
  Observation o;
  o.ifindex = 10;
  o.ip = ip(kAddr);
  o.mac = mac(kMac);
  o.source = Source::Neighbor;
  o.confirms = false;  // STALE, DELAY or PROBE
  h.table.observe(o, h.now, h.out);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_EQ(host(h)["state"], "withdrawn");
  EXPECT_EQ(h.counter("hosts.not_revived"), 1u);
  // A real sign of life (a frame, or a REACHABLE entry) does.
  h.see(kAddr, kMac, Source::Ns);
  ASSERT_EQ(h.take<PublishAction>().size(), 1u);
  EXPECT_EQ(host(h)["state"], "active");
  // A dump (a netns VRF's namespace opened again) learns what the kernel knows, unclaimed.
  ASSERT_TRUE(h.table.clear("", ip(kAddr), "all", h.now, h.out));
  h.see(kAddr, kMac);
  h.advanceTo(30);  // aged out: withdrawn, remembered
  ASSERT_EQ(host(h)["state"], "withdrawn");
  h.out.clear();
  o.fromDump = true;
  h.table.observe(o, h.now, h.out);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, 0u);
}

// A newcomer whose binding does not answer (a spoofer that only sends gratuitous ARPs) leaves
// as moved-away; when it announces again within the hold time it is held, not claimed, so
// that each announcement cannot pull the fabric's traffic for a claim window.
TEST(RemoteConflict, ALosingNewcomerComesBackHeldNotClaimed) {
  Harness h;
  h.see(kAddr, kMac, Source::Garp);
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  h.advanceTo(0.02);
  h.table.remoteRoute("", ip(kAddr), false, "bgp", h.now, h.out);
  h.advanceTo(2.1);
  h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
  h.advanceTo(3.3);  // verified at 3, no answer
  ASSERT_EQ(host(h)["reason"], "moved-away");
  h.out.clear();
  h.advanceTo(5);
  h.see(kAddr, kMac, Source::Garp);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, 0u);  // held: it takes over only once the first router withdraws
  auto j = host(h);
  EXPECT_TRUE(j["contested"].get<bool>());
  EXPECT_NE(::testing::PrintToString(events(j)).find("held, not claimed"), std::string::npos)
      << ::testing::PrintToString(events(j));
  // After the hold time it is an ordinary arrival again (a claim).
  h.advanceTo(8.3);  // grace ended with no other copy reported: settled
  ASSERT_TRUE(h.table.clear("", ip(kAddr), "all", h.now, h.out));
  h.out.clear();
  h.advanceTo(30);
  h.see(kAddr, kMac, Source::Garp);
  EXPECT_EQ(h.take<PublishAction>()[0].flags, kFlagClaim);
}

// Both routers learned the host within each other's propagation delay: neither saw the
// other's route on arrival, so both believe they were first. Each defence relaxes after the
// claim window and loses to the other's; the router that has to defend a fourth time within
// kDefendRepeat of the last yields, and the pair settles on the other one.
TEST(RemoteConflict, TwoFirstsDefendAtMostThreeTimesThenOneYields) {
  Harness h;
  h.see(kAddr, kMac);
  h.installed(kAddr);
  h.advanceTo(4);
  double t = 4;
  for (int round = 1; round <= 4; ++round) {
    h.out.clear();
    h.table.remoteRoute("", ip(kAddr), true, "bgp", h.now, h.out);
    t += 0.01;
    h.advanceTo(t);
    h.see(kAddr, kMac, Source::ArpReply);
    auto p = h.take<PublishAction>();
    if (round <= kMaxDefenses) {
      ASSERT_EQ(p.size(), 1u) << round;
      EXPECT_EQ(p[0].flags, kFlagClaim);
    } else {
      EXPECT_TRUE(p.empty()) << round;
      EXPECT_EQ(host(h)["duplicateOf"]["role"], "newcomer");
    }
    h.table.remoteRoute("", ip(kAddr), false, "bgp", h.now, h.out);
    t += 2.4;  // our claim relaxes; the other router's defence is selected again
    h.advanceTo(t);
  }
  EXPECT_EQ(h.counter("mobility.conflicts_defended"), 3u);
  EXPECT_EQ(h.counter("mobility.conflicts_yielded"), 1u);
}

TEST(RemoteConflict, OnlyDualAttachedInterfacesAndMemberPortsShare) {
  struct Case {
    const char* name;
    LearnerConfig cfg;
    bool shared;
  };
  const Case cases[] = {
      {"not dual-attached", baseConfig(), false},
      {"dual-attached, every port", dualAttached(), true},
      {"dual-attached, its port p1 a member", dualAttached({"p1"}), true},
      {"dual-attached, only p2 a member", dualAttached({"p2"}), false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Harness h(c.cfg);
    incumbentConflict(h);
    auto p = h.take<PublishAction>();
    ASSERT_EQ(p.size(), 1u);
    auto j = host(h);
    EXPECT_EQ(j["shared"].get<bool>(), c.shared);
    EXPECT_EQ(j["duplicate"].get<bool>(), !c.shared);
    EXPECT_EQ(p[0].flags, c.shared ? kFlagShared : kFlagClaim);
    EXPECT_EQ(h.counter("mobility.shared"), c.shared ? 1u : 0u);
    EXPECT_EQ(h.counter("mobility.remote_conflicts"), c.shared ? 0u : 1u);
    if (c.cfg.interfaces[0].dualAttached) {
      EXPECT_EQ(j["dualAttached"]["peer"], "tor2");
    } else {
      EXPECT_FALSE(j.contains("dualAttached"));
    }
  }
}

TEST(RemoteConflict, FpmClientsSharedModeIsNotAdoptedWithoutTheOptIn) {
  Observation o;
  o.ifindex = 10;
  o.port = 11;
  o.ip = ip(kAddr);
  o.mac = mac(kMac);
  o.source = Source::Neighbor;
  o.fromDump = true;
  Harness h;  // br10 not dual-attached
  h.table.observe(o, h.now, h.out);
  h.out.clear();
  h.table.routeStatus("", ip(kAddr), RouteState::Installed, h.now, h.out, /*shared=*/true);
  EXPECT_FALSE(host(h)["shared"].get<bool>());
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, 0u);  // back to hold in fpm_client
  Harness g(dualAttached());
  g.table.observe(o, g.now, g.out);
  g.out.clear();
  g.table.routeStatus("", ip(kAddr), RouteState::Installed, g.now, g.out, /*shared=*/true);
  EXPECT_TRUE(host(g)["shared"].get<bool>());
  EXPECT_TRUE(g.take<PublishAction>().empty());
}

// After a restart a host found in the kernel's table has no port yet: on an interface with
// member ports it keeps fpm_client's shared mode until a frame says where it is; behind a
// single-attached port it is held again then.
TEST(RemoteConflict, AdoptedSharedWithAnUnknownPortIsDecidedByItsFirstFrame) {
  for (bool member : {true, false}) {
    SCOPED_TRACE(member ? "behind a member port" : "behind another port");
    Harness h(dualAttached({"p1"}));
    Observation o;
    o.ifindex = 10;
    o.ip = ip(kAddr);
    o.mac = mac(kMac);
    o.source = Source::Neighbor;
    o.fromDump = true;  // port 0: the kernel's table does not say
    h.table.observe(o, h.now, h.out);
    h.out.clear();
    h.table.routeStatus("", ip(kAddr), RouteState::Installed, h.now, h.out, /*shared=*/true);
    EXPECT_TRUE(host(h)["shared"].get<bool>());
    EXPECT_TRUE(h.take<PublishAction>().empty());
    h.see(kAddr, kMac, Source::ArpRequest, member ? 11 : 12);
    EXPECT_EQ(host(h)["shared"].get<bool>(), member);
    auto p = h.take<PublishAction>();
    if (member) {
      EXPECT_TRUE(p.empty());
    } else {
      ASSERT_EQ(p.size(), 1u);
      EXPECT_EQ(p[0].flags, 0u);
    }
  }
}

TEST(RemoteConflict, ReloadWithoutTheOptInEndsSharing) {
  Harness h(dualAttached());
  incumbentConflict(h);
  ASSERT_TRUE(host(h)["shared"].get<bool>());
  h.out.clear();
  h.table.configure(baseConfig(), h.now, h.out);
  EXPECT_FALSE(host(h)["shared"].get<bool>());
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, 0u);
}

}  // namespace
}  // namespace hr::learner::test
