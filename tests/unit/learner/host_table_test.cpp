// Decision tests of the host table's pure core: admission (a table of cases), aging and the
// probe budget, moves, conflicts, freezing, repeated announcements, the remote-route signal
// and resynchronisation.
#include "hostroute_learner/host_table.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

const char* kMacA = "02:aa:00:00:00:01";
const char* kMacB = "02:bb:00:00:00:02";

struct AdmissionCase {
  const char* name;
  int ifindex;
  const char* addr;
  const char* mac;
  bool ext;
  const char* expect;  // "learned" or the refusal reason
};

TEST(Admission, TableOfCases) {
  const AdmissionCase cases[] = {
      {"in subnet", 10, "10.1.0.11", kMacA, false, "learned"},
      {"ipv6 in subnet", 10, "2001:db8:1::11", kMacA, false, "learned"},
      {"outside every subnet", 10, "10.9.0.5", kMacA, false, "outside-subnet"},
      {"own address", 10, "10.1.0.2", kMacA, false, "own-address"},
      {"own address of another interface", 10, "10.0.1.0", kMacA, false, "own-address"},
      {"configured gateway (vrrp)", 10, "10.1.0.1", kMacA, false, "gateway-address"},
      {"excluded", 10, "10.1.0.99", kMacA, false, "excluded"},
      {"unspecified", 10, "0.0.0.0", kMacA, false, "unspecified-address"},
      {"link-local v4", 10, "169.254.1.1", kMacA, false, "link-local"},
      {"link-local v6", 10, "fe80::1234", kMacA, false, "link-local"},
      {"multicast", 10, "224.0.0.5", kMacA, false, "multicast"},
      {"limited broadcast", 10, "255.255.255.255", kMacA, false, "broadcast"},
      {"subnet broadcast", 10, "10.1.0.255", kMacA, false, "broadcast"},
      {"subnet network address", 10, "10.1.0.0", kMacA, false, "broadcast"},
      {"loopback", 10, "127.0.0.1", kMacA, false, "loopback"},
      {"ext learned", 10, "10.1.0.12", kMacA, true, "externally-learned"},
      {"zero mac", 10, "10.1.0.13", "00:00:00:00:00:00", false, "bad-mac"},
      {"multicast mac", 10, "10.1.0.13", "01:00:5e:00:00:01", false, "bad-mac"},
      {"own mac", 10, "10.1.0.14", "02:00:00:00:00:11", false, "own-mac"},
      {"not a learning interface", 20, "10.0.1.1", kMacA, false, "interface-not-learning"},
      {"unknown interface", 99, "10.1.0.15", kMacA, false, "unknown-interface"},
      {"configured subnet, vrf blue", 30, "10.2.0.7", kMacA, false, "learned"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto cfg = baseConfig();
    cfg.gatewayAddresses = {ip("10.1.0.1")};
    cfg.excluded = {ip("10.1.0.99")};
    Harness h(cfg);
    Observation o;
    o.ifindex = c.ifindex;
    o.port = 0;
    o.ip = ip(c.addr);
    o.mac = mac(c.mac);
    o.extLearned = c.ext;
    h.table.observe(o, h.now, h.out);
    auto j = h.table.hostJson("", o.ip, h.now);
    if (std::string(c.expect) == "learned") {
      ASSERT_TRUE(j) << j.error().str();
      EXPECT_TRUE((*j)["learned"].get<bool>());
      EXPECT_EQ(h.take<PublishAction>().size(), 1u);
    } else {
      EXPECT_TRUE(h.take<PublishAction>().empty());
      ASSERT_TRUE(j) << j.error().str();
      EXPECT_FALSE((*j)["learned"].get<bool>());
      EXPECT_EQ((*j)["refused"]["reason"], c.expect);
    }
  }
}

TEST(Admission, RefusedHostCountedAndLoggedOncePerAddress) {
  Harness h;
  for (int i = 0; i < 50; ++i) {
    h.see("10.9.0.5", kMacA);
  }
  h.see("10.9.0.6", kMacA);
  EXPECT_EQ(h.counter("admission.refused_hosts"), 2u);
  EXPECT_EQ(h.counter("admission.refused.outside-subnet"), 2u);
  EXPECT_EQ(h.counter("admission.refused_events"), 51u);
  EXPECT_EQ(h.take<LogAction>().size(), 2u);
  auto j = h.table.hostJson("", ip("10.9.0.5"), h.now).value();
  EXPECT_EQ(j["refused"]["count"], 50);
}

TEST(Admission, ForeignSubnetAdmitsAfterReloadWithoutANewPacket) {
  Harness h;
  h.see("10.9.0.5", kMacA);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  auto cfg = baseConfig();
  cfg.foreignSubnets.push_back(ForeignSubnet{pfx("10.9.0.0/16"), {"br10"}});
  h.out.clear();
  h.table.configure(cfg, h.now, h.out);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].ip, ip("10.9.0.5"));
  auto j = h.table.hostJson("", ip("10.9.0.5"), h.now).value();
  EXPECT_TRUE(j["foreignSubnet"].get<bool>());
  // A range limited to another interface does not admit on br10.
  Harness h2;
  auto cfg2 = baseConfig();
  cfg2.foreignSubnets.push_back(ForeignSubnet{pfx("10.9.0.0/16"), {"br20"}});
  h2.table.configure(cfg2, h2.now, h2.out);
  h2.see("10.9.0.5", kMacA);
  EXPECT_TRUE(h2.take<PublishAction>().empty());
}

TEST(Admission, CapsPerInterfaceAndGlobal) {
  auto cfg = baseConfig();
  cfg.interfaces[0].maxHosts = 2;
  Harness h(cfg);
  h.see("10.1.0.11", kMacA);
  h.see("10.1.0.12", kMacB);
  h.see("10.1.0.13", "02:cc:00:00:00:03");
  EXPECT_EQ(h.take<PublishAction>().size(), 2u);
  EXPECT_EQ(h.counter("admission.refused.interface-cap"), 1u);
  auto cfg2 = baseConfig();
  cfg2.maxHosts = 1;
  Harness g(cfg2);
  g.see("10.1.0.11", kMacA);
  g.see("10.1.0.12", kMacB);
  EXPECT_EQ(g.counter("admission.refused.global-cap"), 1u);
}

TEST(Admission, ConnectedSubnetsFollowTheInterface) {
  Harness h;
  h.see("10.1.0.11", kMacA);
  ASSERT_EQ(h.take<PublishAction>().size(), 1u);
  h.out.clear();
  // The subnet leaves the interface: the host is withdrawn (config re-check).
  h.table.interfaces().removeAddress(10, pfx("10.1.0.2/24"));
  h.table.interfacesChanged(h.now, h.out);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].add);
}

TEST(Learning, NewHostIsAClaimRepeatsAreNot) {
  Harness h;
  h.see("10.1.0.11", kMacA, Source::Garp);
  h.see("10.1.0.11", kMacA, Source::Garp);
  h.see("10.1.0.11", kMacA, Source::Garp);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, kFlagClaim);
  EXPECT_EQ(p[0].ifname, "br10");
  EXPECT_EQ(p[0].vrf, "");
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(j["moves"], 0);
  EXPECT_EQ(j["port"], "p1");
}

TEST(Learning, DumpEntriesAreNotClaims) {
  Harness h;
  Observation o;
  o.ifindex = 10;
  o.ip = ip("10.1.0.11");
  o.mac = mac(kMacA);
  o.source = Source::Neighbor;
  o.fromDump = true;
  h.table.observe(o, h.now, h.out);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].flags, 0u);
  auto snap = h.table.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].ip, ip("10.1.0.11"));
}

TEST(Learning, VrfComesFromTheMasterDevice) {
  Harness h;
  h.see("10.2.0.7", kMacA, Source::ArpRequest, 0, 30);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].vrf, "blue");
  // Same address in the default VRF is another host.
  EXPECT_FALSE(
      h.table.hostJson("", ip("10.2.0.7"), h.now).value()["vrf"].get<std::string>().empty());
}

TEST(Learning, ArpProbesAndDadAreNotedNeverLearned) {
  Harness h;
  h.see("10.1.0.11", kMacA, Source::ArpProbe);
  h.see("2001:db8:1::11", kMacA, Source::DadNs);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_EQ(h.counter("admission.arp_probes_seen"), 1u);
  EXPECT_EQ(h.counter("admission.dad_probes_seen"), 1u);
}

TEST(Aging, QuietHostProbedThenWithdrawnWithinHoldTime) {
  // hold 10 s, 3 probes 1 s apart: probing starts at 7 s less the aging margin (a tenth of
  // an interval), so the withdrawal falls within the hold time even if the loop runs late.
  Harness h;
  h.see("10.1.0.11", kMacA);
  h.out.clear();
  h.advanceTo(6.89);
  EXPECT_TRUE(h.out.empty());
  h.advanceTo(6.9);
  auto probes = h.take<ProbeAction>();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].dstMac, mac(kMacA));
  EXPECT_EQ(probes[0].src, ip("10.1.0.2"));
  EXPECT_EQ(probes[0].srcMac, mac("02:00:00:00:00:10"));
  EXPECT_EQ(probes[0].sendIfindex, 10);
  h.out.clear();
  h.advanceTo(9.89);
  EXPECT_EQ(h.take<ProbeAction>().size(), 2u);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  h.out.clear();
  h.advanceTo(9.9);
  auto w = h.take<PublishAction>();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_FALSE(w[0].add);
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(j["state"], "withdrawn");
  EXPECT_EQ(j["reason"], "aged");
}

TEST(Aging, SilentHostThatAnswersStays) {
  Harness h;
  h.see("10.1.0.11", kMacA);
  for (int round = 0; round < 5; ++round) {
    h.advance(h.now + std::chrono::milliseconds(7500));  // first probe sent
    ASSERT_FALSE(h.take<ProbeAction>().empty());
    h.out.clear();
    h.see("10.1.0.11", kMacA, Source::ArpReply);  // it answers
  }
  EXPECT_TRUE(h.take<PublishAction>().empty());
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(j["state"], "active");
  EXPECT_EQ(h.counter("probes.answered"), 5u);
}

TEST(Aging, Ipv6ProbeFromOwnGlobalAddressRfc5227WithoutAddress) {
  Harness h;
  h.see("2001:db8:1::11", kMacA, Source::Ns);
  h.advanceTo(7.0);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].src, ip("2001:db8:1::2"));
  // br20 has no IPv4 address of its own in a second harness: RFC 5227 probe.
  Harness g;
  g.table.interfaces().removeAddress(30, pfx("10.2.0.1/24"));
  g.see("10.2.0.7", kMacA, Source::ArpRequest, 0, 30);
  g.advanceTo(7.0);
  auto q = g.take<ProbeAction>();
  ASSERT_EQ(q.size(), 1u);
  EXPECT_TRUE(q[0].src.isUnspecified());
}

TEST(Aging, NeverProbesFromAGatewayAddress) {
  auto cfg = baseConfig();
  cfg.gatewayAddresses = {ip("10.1.0.1")};
  Harness h(cfg);
  h.table.interfaces().addAddress(10, pfx("10.1.0.1/24"));  // the anycast gateway on br10
  h.table.interfaces().removeAddress(10, pfx("10.1.0.2/24"));
  h.see("10.1.0.11", kMacA);
  h.advanceTo(7.0);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].src.isUnspecified()) << p[0].src.str();
}

TEST(Aging, ProbeBudgetPacesProbesAcrossHosts) {
  auto cfg = baseConfig();
  cfg.probeRateLimit = 10;  // 10 probes/s, burst 1
  Harness h(cfg);
  for (int i = 0; i < 40; ++i) {
    h.see(fmt::format("10.1.0.{}", 10 + i), fmt::format("02:aa:00:00:00:{:02x}", i));
  }
  h.out.clear();
  h.advanceTo(8.0);  // all quiet since 7 s
  auto sent = h.take<ProbeAction>().size();
  EXPECT_GE(sent, 10u);
  EXPECT_LE(sent, 12u);  // one second of budget (+ the burst)
  EXPECT_GT(h.counter("probes.deferred"), 0u);
}

TEST(Aging, KernelFailedStartsProbingAtOnce) {
  Harness h;
  h.see("10.1.0.11", kMacA);
  h.out.clear();
  h.table.neighborFailed(10, ip("10.1.0.11"), h.now, h.out);
  EXPECT_EQ(h.take<ProbeAction>().size(), 1u);
}

TEST(Mobility, PortMoveVerifiedThenMovedWithoutRouteChange) {
  Harness h;
  h.see("10.1.0.11", kMacA, Source::ArpRequest, 11);
  h.out.clear();
  h.advanceTo(1.0);
  h.see("10.1.0.11", kMacA, Source::Garp, 12);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].sendIfindex, 11);  // the old binding's own port
  EXPECT_EQ(p[0].reason, ProbeReason::VerifyMove);
  h.out.clear();
  h.advanceTo(1.3);
  EXPECT_TRUE(h.take<PublishAction>().empty());  // same interface and MAC: the route stays
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(j["port"], "p2");
  EXPECT_EQ(j["moves"], 1);
  EXPECT_EQ(j["reason"], "moved");
}

TEST(Mobility, KernelEventDuringVerifyIsNotAnAnswer) {
  Harness h;
  h.see("10.1.0.11", kMacA, Source::ArpRequest, 11);
  h.see("10.1.0.11", kMacA, Source::Garp, 12);
  Observation n;
  n.ifindex = 10;
  n.ip = ip("10.1.0.11");
  n.mac = mac(kMacA);
  n.source = Source::Neighbor;
  h.table.observe(n, h.now, h.out);
  h.advanceTo(0.5);
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_FALSE(j["duplicate"].get<bool>());
  EXPECT_EQ(j["port"], "p2");
}

TEST(Mobility, SpoofedGarpKeepsTheRealHostAndFlagsDuplicate) {
  Harness h;
  h.see("10.1.0.11", kMacA, Source::ArpRequest, 11);
  h.out.clear();
  h.see("10.1.0.11", kMacB, Source::Garp, 12);  // the attacker
  ASSERT_EQ(h.take<ProbeAction>().size(), 1u);
  h.see("10.1.0.11", kMacA, Source::ArpReply, 11);  // the real host answers our probe
  h.advanceTo(1.0);
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(j["mac"], kMacA);
  EXPECT_TRUE(j["duplicate"].get<bool>());
  EXPECT_EQ(j["duplicateOf"]["mac"], kMacB);
  for (const auto& p : h.take<PublishAction>()) {
    EXPECT_EQ(p.mac, mac(kMacA)) << "the newcomer must never take over";
  }
  EXPECT_EQ(h.counter("mobility.conflicts"), 1u);
  // The attacker keeps announcing: no probe per packet.
  h.out.clear();
  for (int i = 0; i < 20; ++i) {
    h.see("10.1.0.11", kMacB, Source::Garp, 12);
  }
  EXPECT_TRUE(h.take<ProbeAction>().empty());
}

TEST(Mobility, MacChangeWhenTheOldOneIsGoneMovesAndRepublishes) {
  Harness h;
  h.see("10.1.0.11", kMacA, Source::ArpRequest, 11);
  h.out.clear();
  h.see("10.1.0.11", kMacB, Source::Garp, 11);
  h.advanceTo(0.3);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].add);
  EXPECT_EQ(p[0].mac, mac(kMacB));
  EXPECT_EQ(p[0].flags, 0u);  // still on this switch: no claim
}

TEST(Mobility, FlappingBeyondThresholdFreezesRepeatsDoNotCount) {
  Harness h;  // max-moves 5 in 180 s
  h.see("10.1.0.11", kMacA, Source::ArpRequest, 11);
  double t = 0;
  int port = 11;
  for (int i = 0; i < 6; ++i) {
    t += 1.0;
    h.advanceTo(t);
    port = port == 11 ? 12 : 11;
    for (int burst = 0; burst < 3; ++burst) {
      h.see("10.1.0.11", kMacA, Source::Garp, port);  // hypervisor burst
    }
    h.advanceTo(t + 0.5);
    for (int burst = 0; burst < 3; ++burst) {
      h.see("10.1.0.11", kMacA, Source::Garp, port);  // repeat: not a move
    }
  }
  auto j = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(j["moves"], 6);
  EXPECT_TRUE(j["frozen"].get<bool>());
  EXPECT_EQ(h.counter("mobility.freezes"), 1u);
  // Frozen: another binding is ignored, no verification probe.
  h.out.clear();
  h.see("10.1.0.11", kMacB, Source::Garp, 11);
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  EXPECT_GE(h.counter("mobility.frozen_ignored"), 1u);
  // Released by the CLI.
  auto r = h.table.clear("", ip("10.1.0.11"), "freeze", h.now, h.out);
  ASSERT_TRUE(r) << r.error().str();
  EXPECT_FALSE(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["frozen"].get<bool>());
}

TEST(Mobility, FreezeReleasedByTimer) {
  auto cfg = baseConfig();
  cfg.maxMoves = 1;
  cfg.freezeTime = std::chrono::seconds(30);
  cfg.holdTime = std::chrono::seconds(300);
  Harness h(cfg);
  h.see("10.1.0.11", kMacA, Source::ArpRequest, 11);
  h.see("10.1.0.11", kMacA, Source::Garp, 12);
  h.advanceTo(1);
  h.see("10.1.0.11", kMacA, Source::Garp, 11);
  h.advanceTo(2);
  ASSERT_TRUE(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["frozen"].get<bool>());
  h.advanceTo(33);
  EXPECT_FALSE(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["frozen"].get<bool>());
}

TEST(Remote, SignalDuringTheClaimGraceIsCheckedWhenItEnds) {
  Harness h;
  h.see("10.1.0.11", kMacA);  // arrives here: a claim
  h.out.clear();
  h.table.remoteRoute("", ip("10.1.0.11"), true, "bgp", h.now, h.out);  // the old location
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  h.advanceTo(2.9);
  EXPECT_TRUE(h.take<ProbeAction>().empty());
  h.advanceTo(3.0);  // still advertised elsewhere after the grace: verified now
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, ProbeReason::VerifyRemote);
  // The other copy going away within the grace: nothing to check.
  Harness g;
  g.see("10.1.0.11", kMacA);
  g.table.remoteRoute("", ip("10.1.0.11"), true, "bgp", g.now, g.out);
  g.advanceTo(1);
  g.table.remoteRoute("", ip("10.1.0.11"), false, "bgp", g.now, g.out);
  g.out.clear();
  g.advanceTo(4);
  EXPECT_TRUE(g.take<ProbeAction>().empty());
  EXPECT_EQ(g.counter("mobility.shared"), 0u);
}

TEST(Remote, NoAnswerWithdrawsAtOnceThenComingBackIsAClaim) {
  Harness h;
  h.see("10.1.0.11", kMacA);
  h.installed("10.1.0.11");
  h.advanceTo(4);  // past the claim grace
  h.out.clear();
  h.table.remoteRoute("", ip("10.1.0.11"), true, "bgp", h.now, h.out);
  auto p = h.take<ProbeAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].reason, ProbeReason::VerifyRemote);
  h.out.clear();
  h.advanceTo(4.29);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  h.advanceTo(4.3);  // verify-time: withdrawn without waiting for the hold time
  auto w = h.take<PublishAction>();
  ASSERT_EQ(w.size(), 1u);
  EXPECT_FALSE(w[0].add);
  EXPECT_EQ(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["reason"], "moved-away");
  // The host moves back: learned as a claim, its moves counted.
  h.out.clear();
  h.advanceTo(5);
  h.see("10.1.0.11", kMacA, Source::Garp);
  auto a = h.take<PublishAction>();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].flags, kFlagClaim);
  EXPECT_EQ(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["moves"], 2);
}

TEST(Remote, AnswerKeepsTheHostAsSharedNoOscillation) {
  auto cfg = baseConfig();  // br10 on an MLAG pair (elsewhere: remote_conflict_test.cpp)
  cfg.interfaces[0].dualAttached = DualAttached{"tor2", {}};
  Harness h(cfg);
  h.see("10.1.0.11", kMacA);
  h.advanceTo(4);
  h.out.clear();
  h.table.remoteRoute("", ip("10.1.0.11"), true, "ospf", h.now, h.out);
  h.see("10.1.0.11", kMacA, Source::ArpReply);
  h.advanceTo(5);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_TRUE(p[0].add);
  EXPECT_EQ(p[0].flags, kFlagShared);
  // More signals while shared: no new claim, no withdrawal.
  h.out.clear();
  h.table.remoteRoute("", ip("10.1.0.11"), true, "bgp", h.now, h.out);
  h.see("10.1.0.11", kMacA, Source::ArpReply);
  h.advanceTo(6);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  // The other copy disappears from zebra (our shared route now beats it there): hidden, not
  // gone. The host stays shared: no re-publication, no flap.
  h.table.remoteRoute("", ip("10.1.0.11"), false, "bgp", h.now, h.out);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_TRUE(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["shared"].get<bool>());
}

TEST(Status, ZebraStateShownPerHost) {
  Harness h;
  h.see("10.1.0.11", kMacA);
  h.table.routeStatus("", ip("10.1.0.11"), RouteState::Installed, h.now, h.out);
  auto j = h.table.hostsJson(h.now, false);
  ASSERT_EQ(j["hosts"].size(), 1u);
  EXPECT_TRUE(j["hosts"][0]["installed"].get<bool>());
  EXPECT_EQ(j["summary"]["installed"], 1);
  auto one = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  bool sawZebra = false;
  for (const auto& e : one["timeline"]) {
    sawZebra |= e["event"] == "zebra";
  }
  EXPECT_TRUE(sawZebra);
}

TEST(Timeline, BoundedAndCoalesced) {
  auto cfg = baseConfig();
  cfg.timelineLength = 4;
  Harness h(cfg);
  h.see("10.1.0.11", kMacA);
  for (int i = 0; i < 100; ++i) {
    h.see("10.1.0.11", kMacA);
  }
  auto tl = h.table.hostJson("", ip("10.1.0.11"), h.now).value()["timeline"];
  ASSERT_EQ(tl.size(), 3u);  // learned, injected, seen x100
  EXPECT_EQ(tl[2]["count"], 100);
  for (int i = 0; i < 10; ++i) {
    h.table.routeStatus(
        "", ip("10.1.0.11"), i % 2 ? RouteState::Installed : RouteState::Pending, h.now, h.out);
  }
  EXPECT_EQ(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["timeline"].size(), 4u);
}

TEST(Memory, EntryIsSmall) {
  EXPECT_LE(HostTable::kHostEntryBytes, 112u);
  EXPECT_EQ(sizeof(HostTable::Event), 16u);
}

}  // namespace
}  // namespace hr::learner::test
