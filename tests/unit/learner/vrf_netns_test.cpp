// Network-namespace VRFs (FRR's zebra -n backend) in the learner, without sockets:
//  - the ifindex mapping of netns_scope.h (each namespace numbers its interfaces from 1);
//  - NeighWatcher::handle in a VRF namespace's scope: links marked with the VRF, ifindexes
//    and masters mapped, neighbours observed in the VRF's range, forget();
//  - the host table: the same address in the default VRF and in a netns VRF is two hosts,
//    an interface entry applies only in its own namespace, probes stay in the namespace;
//  - planNetnsVrfs / freeNetnsSlot (what a reload opens and closes).
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "core/codec/netlink.h"
#include "hostroute_learner/neigh_watcher.h"
#include "hostroute_learner/netns_scope.h"
#include "hostroute_learner/packet_io.h"
#include "hostroute_learner/vrf_namespaces.h"
#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

constexpr const char* kMacA = "02:aa:00:00:00:01";
constexpr const char* kMacB = "02:bb:00:00:00:02";
constexpr int kRed = 1 << kNetnsSlotBits;  // slot 1

// ---- ifindex mapping -----------------------------------------------------------------------

TEST(NetnsScope, MapsEachNamespaceIntoItsOwnRange) {
  NetnsScope own;
  NetnsScope red{1, "red", "/run/netns/red"};
  NetnsScope last{kMaxNetnsSlots, "x", "/run/netns/x"};
  EXPECT_EQ(own.toLearner(7), 7);
  EXPECT_EQ(red.toLearner(7), kRed | 7);
  EXPECT_NE(own.toLearner(7), red.toLearner(7));
  EXPECT_EQ(netnsSlotOf(red.toLearner(7)), 1);
  EXPECT_EQ(kernelIfindexOf(red.toLearner(7)), 7);
  EXPECT_TRUE(red.owns(kRed | 7));
  EXPECT_FALSE(red.owns(7));
  EXPECT_TRUE(own.owns(7));
  EXPECT_FALSE(own.owns(kRed | 7));
  EXPECT_GT(last.toLearner(kMaxKernelIfindex), 0);  // still a positive int
  EXPECT_EQ(last.toLearner(kMaxKernelIfindex), INT32_MAX);
  // 0, negative and too large kernel ifindexes do not map.
  EXPECT_EQ(red.toLearner(0), 0);
  EXPECT_EQ(red.toLearner(-3), 0);
  EXPECT_EQ(red.toLearner(kMaxKernelIfindex + 1), 0);
  EXPECT_EQ(own.toLearner(kMaxKernelIfindex + 1), 0);
}

TEST(NetnsVrfPlan, ReloadOpensNewClosesRemovedAndRepointed) {
  std::vector<NetnsVrf> cur = {{"red", "/run/netns/red"}, {"blue", "/run/netns/blue"}};
  std::vector<NetnsVrf> want = {
      {"red", "/run/netns/red"}, {"blue", "/run/netns/tenant-b"}, {"green", "/run/netns/green"}};
  auto p = planNetnsVrfs(cur, want);
  EXPECT_EQ(p.close, std::vector<std::string>{"blue"});
  ASSERT_EQ(p.open.size(), 2u);
  EXPECT_EQ(p.open[0], (NetnsVrf{"blue", "/run/netns/tenant-b"}));
  EXPECT_EQ(p.open[1], (NetnsVrf{"green", "/run/netns/green"}));
  auto none = planNetnsVrfs(want, want);
  EXPECT_TRUE(none.close.empty());
  EXPECT_TRUE(none.open.empty());
  auto all = planNetnsVrfs(want, {});
  EXPECT_EQ(all.close.size(), 3u);
}

TEST(NetnsVrfPlan, SlotsAreReusedAndBounded) {
  EXPECT_EQ(freeNetnsSlot({}), 1);
  EXPECT_EQ(freeNetnsSlot({1, 2, 4}), 3);
  std::vector<int> full;
  for (int s = 1; s <= kMaxNetnsSlots; ++s) {
    full.push_back(s);
  }
  EXPECT_FALSE(freeNetnsSlot(full));
}

// ---- netlink in a VRF namespace's scope ----------------------------------------------------

std::vector<uint8_t> link(int ifindex, const std::string& name, const char* kind, int master) {
  std::vector<uint8_t> out;
  codec::nl::Builder b(out, RTM_NEWLINK, 0, 1);
  uint8_t ifi[16] = {};
  std::memcpy(ifi + 4, &ifindex, 4);
  uint32_t flags = 0x1 | 0x40;  // IFF_UP | IFF_RUNNING
  std::memcpy(ifi + 8, &flags, 4);
  b.fixed(ifi);
  b.attrString(IFLA_IFNAME, name);
  uint8_t m[6] = {2, 0x7e, 0, 0, 0, static_cast<uint8_t>(ifindex)};
  b.attr(IFLA_ADDRESS, m);
  if (master != 0) {
    b.attrU32(IFLA_MASTER, static_cast<uint32_t>(master));
  }
  auto li = b.beginNested(IFLA_LINKINFO);
  b.attrString(IFLA_INFO_KIND, kind);
  b.endNested(li);
  b.finish();
  return out;
}

std::vector<uint8_t> addr(int ifindex, const Prefix& p) {
  std::vector<uint8_t> out;
  codec::nl::Builder b(out, RTM_NEWADDR, 0, 1);
  uint8_t ifa[8] = {
      static_cast<uint8_t>(p.address().isV4() ? AF_INET : AF_INET6), p.length(), 0, 0};
  std::memcpy(ifa + 4, &ifindex, 4);
  b.fixed(ifa);
  b.attrAddress(IFA_ADDRESS, p.address());
  b.finish();
  return out;
}

std::vector<uint8_t> neigh(int ifindex, const IpAddress& dst, const MacAddress& ll, uint16_t st) {
  std::vector<uint8_t> out;
  codec::nl::Builder b(out, RTM_NEWNEIGH, 0, 1);
  uint8_t nd[12] = {};
  nd[0] = dst.isV4() ? AF_INET : AF_INET6;
  std::memcpy(nd + 4, &ifindex, 4);
  std::memcpy(nd + 8, &st, 2);
  b.fixed(nd);
  b.attrAddress(NDA_DST, dst);
  b.attr(NDA_LLADDR, ll.bytes());
  b.finish();
  return out;
}

struct ScopedWatcher : ::testing::Test {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  Counters counters{"hostroute_learner"};
  InterfaceDb db;
  std::vector<Observation> seen;
  std::vector<int> failed;
  int changes = 0;
  NeighWatcher::Sink sink{
      [this](const Observation& o) { seen.push_back(o); },
      [this](int ifindex, const IpAddress&) { failed.push_back(ifindex); },
      [this] { ++changes; }};
  NeighWatcher own{*loop, db, counters, sink};
  NeighWatcher red{*loop, db, counters, sink, NetnsScope{1, "red", "/run/netns/red"}};
  void feed(NeighWatcher& w, const std::vector<uint8_t>& buf) {
    auto msgs = codec::nl::split(buf);
    ASSERT_TRUE(msgs) << msgs.error().str();
    for (const auto& m : *msgs) {
      w.handle(m, false);
    }
  }
};

TEST_F(ScopedWatcher, SameKernelIfindexesInTwoNamespacesStayApart) {
  // Both namespaces have ifindex 5 (a bridge) and 6 (its port).
  feed(own, link(5, "br10", "bridge", 0));
  feed(own, link(6, "h11", "veth", 5));
  feed(red, link(5, "br20", "bridge", 0));
  feed(red, link(6, "hv1", "veth", 5));
  feed(red, addr(5, pfx("10.1.0.2/24")));
  ASSERT_NE(db.get(5), nullptr);
  ASSERT_NE(db.get(kRed | 5), nullptr);
  EXPECT_EQ(db.get(5)->name, "br10");
  EXPECT_EQ(db.get(kRed | 5)->name, "br20");
  EXPECT_EQ(db.get(kRed | 5)->netnsVrf, "red");
  EXPECT_EQ(db.get(kRed | 6)->master, kRed | 5);  // the master is mapped too
  EXPECT_EQ(db.bridgeOf(kRed | 6), kRed | 5);
  EXPECT_EQ(db.bridgeOf(6), 5);
  EXPECT_EQ(db.vrfOf(kRed | 5), "red");
  EXPECT_EQ(db.vrfOf(5), "");
  EXPECT_EQ(db.connectedSubnets(kRed | 5), std::vector<Prefix>{pfx("10.1.0.0/24")});
  EXPECT_TRUE(db.connectedSubnets(5).empty());

  feed(red, neigh(5, ip("10.1.0.11"), mac(kMacA), NUD_REACHABLE));
  feed(own, neigh(5, ip("10.1.0.11"), mac(kMacB), NUD_REACHABLE));
  feed(red, neigh(5, ip("10.1.0.12"), mac(kMacA), NUD_FAILED));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].ifindex, kRed | 5);
  EXPECT_EQ(seen[1].ifindex, 5);
  EXPECT_EQ(failed, std::vector<int>{kRed | 5});

  // Forgetting the VRF's namespace removes its interfaces only.
  EXPECT_EQ(red.forget(), 2u);
  EXPECT_EQ(db.get(kRed | 5), nullptr);
  EXPECT_EQ(db.get(kRed | 6), nullptr);
  EXPECT_NE(db.get(5), nullptr);
  EXPECT_NE(db.get(6), nullptr);
}

TEST_F(ScopedWatcher, IfindexesOutOfRangeAreCountedAndDropped) {
  feed(red, link(kMaxKernelIfindex + 1, "huge", "veth", 0));
  feed(red, neigh(kMaxKernelIfindex + 1, ip("10.1.0.11"), mac(kMacA), NUD_REACHABLE));
  EXPECT_TRUE(db.all().empty());
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(counters.value("hostroute_learner.netlink.ifindex_out_of_range"), 2u);
}

// ---- the host table with a netns VRF -------------------------------------------------------

// The switch of learner_fixture.h plus VRF red's namespace: br20 (red 5, 10.1.0.2/24, the
// default VRF's subnet again) with port hv1 (red 6), and a br10 of its own (red 7) that is
// not configured there.
struct RedHarness : Harness {
  static LearnerConfig config() {
    auto c = baseConfig();
    c.netnsVrfs.push_back({"red", "/run/netns/red"});
    for (auto& i : c.interfaces) {
      if (i.name == "br20") {
        i.vrf = "red";  // the entry now means red's br20, not the default namespace's
        i.subnets.clear();
      }
    }
    return c;
  }
  RedHarness() : Harness(config()) {
    auto& db = table.interfaces();
    auto add = [&](int idx, const char* name, const char* kind, const char* m, int master) {
      InterfaceInfo i;
      i.ifindex = idx;
      i.name = name;
      i.kind = kind;
      i.mac = mac(m);
      i.up = true;
      i.master = master;
      i.netnsVrf = "red";
      db.upsertLink(i);
    };
    add(kRed | 5, "br20", "bridge", "02:7e:00:00:00:05", 0);
    add(kRed | 6, "hv1", "veth", "02:7e:00:00:00:06", kRed | 5);
    add(kRed | 7, "br10", "bridge", "02:7e:00:00:00:07", 0);
    db.addAddress(kRed | 5, pfx("10.1.0.2/24"));
    db.addAddress(kRed | 7, pfx("10.1.0.2/24"));
    table.interfacesChanged(now, out);
    out.clear();
  }
};

TEST(NetnsVrfHosts, SameAddressInTwoVrfsIsTwoHosts) {
  RedHarness h;
  h.see("10.1.0.11", kMacA, Source::ArpRequest, kRed | 6, kRed | 5);
  h.see("10.1.0.11", kMacB, Source::ArpRequest, 11, 10);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].vrf, "red");
  EXPECT_EQ(p[0].ifname, "br20");
  EXPECT_EQ(p[0].ifindex, kRed | 5);
  EXPECT_EQ(p[0].mac, mac(kMacA));
  EXPECT_EQ(p[1].vrf, "");
  EXPECT_EQ(p[1].ifname, "br10");
  EXPECT_EQ(p[1].mac, mac(kMacB));
  EXPECT_EQ(h.counter("mobility.moves"), 0u);  // neither is a move of the other
  EXPECT_EQ(h.counter("mobility.conflicts"), 0u);
  auto red = h.table.hostJson("red", ip("10.1.0.11"), h.now).value();
  auto def = h.table.hostJson("", ip("10.1.0.11"), h.now).value();
  EXPECT_EQ(red["vrf"], "red");
  EXPECT_EQ(red["mac"], kMacA);
  EXPECT_EQ(red["interface"], "br20");
  EXPECT_EQ(red["port"], "hv1");
  EXPECT_EQ(def["vrf"], "");  // the default VRF
  EXPECT_EQ(def["mac"], kMacB);
  auto all = h.table.hostsJson(h.now, false);
  EXPECT_EQ(all["hosts"].size(), 2u);
}

TEST(NetnsVrfHosts, AnInterfaceEntryAppliesInItsOwnNamespaceOnly) {
  RedHarness h;
  // red's br10 has the name of the default namespace's configured br10: not learning there.
  h.see("10.1.0.21", kMacA, Source::ArpRequest, 0, kRed | 7);
  // the default namespace's br20 (ifindex 30) has the name of red's configured br20.
  h.see("10.2.0.21", kMacA, Source::ArpRequest, 0, 30);
  EXPECT_TRUE(h.take<PublishAction>().empty());
  EXPECT_EQ(h.counter("admission.refused.interface-not-learning"), 2u);
}

TEST(NetnsVrfHosts, ProbesStayInTheVrfNamespace) {
  RedHarness h;  // hold 10 s, 3 probes 1 s apart
  h.see("10.1.0.11", kMacA, Source::ArpRequest, kRed | 6, kRed | 5);
  h.out.clear();
  h.advanceTo(7.5);
  auto probes = h.take<ProbeAction>();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(netnsSlotOf(probes[0].sendIfindex), 1);
  EXPECT_EQ(probes[0].ifindex, kRed | 5);
  EXPECT_EQ(probes[0].src, ip("10.1.0.2"));  // red's own address on br20
  EXPECT_EQ(probes[0].srcMac, mac("02:7e:00:00:00:05"));
  EXPECT_EQ(probes[0].dstMac, mac(kMacA));
  // Unanswered: withdrawn from VRF red within the hold time.
  h.out.clear();
  h.advanceTo(10.5);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].add);
  EXPECT_EQ(p[0].vrf, "red");
}

TEST(NetnsVrfHosts, NamespaceGoneWithdrawsItsHosts) {
  RedHarness h;
  h.see("10.1.0.11", kMacA, Source::ArpRequest, kRed | 6, kRed | 5);
  h.see("10.1.0.11", kMacB, Source::ArpRequest, 11, 10);
  h.out.clear();
  // What NeighWatcher::forget() does when the namespace is closed.
  for (int idx : {kRed | 5, kRed | 6, kRed | 7}) {
    h.table.interfaces().removeLink(idx);
  }
  h.table.interfacesChanged(h.now, h.out);
  auto p = h.take<PublishAction>();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].add);
  EXPECT_EQ(p[0].vrf, "red");
  EXPECT_EQ(h.table.hostJson("red", ip("10.1.0.11"), h.now).value()["reason"], "interface-gone");
  EXPECT_EQ(h.table.hostJson("", ip("10.1.0.11"), h.now).value()["state"], "active");
}

// ---- packet I/O scope ----------------------------------------------------------------------

TEST(NetnsVrfPackets, AProbeForAnotherNamespaceIsRefused) {
  auto loop = EventLoop::create().value();
  Counters counters{"hostroute_learner"};
  InterfaceDb db;
  PacketIo red(
      *loop,
      db,
      counters,
      [](int) { return true; },
      [](const Observation&, TimePoint) {},
      NetnsScope{1, "red", "/run/netns/red"});
  ProbeAction p;
  p.sendIfindex = 5;  // the default namespace's
  p.target = ip("10.1.0.11");
  EXPECT_FALSE(red.send(p));
  EXPECT_EQ(counters.value("hostroute_learner.probes.tx_errors"), 1u);
}

}  // namespace
}  // namespace hr::learner::test
