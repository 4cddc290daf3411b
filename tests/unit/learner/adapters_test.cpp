// The adapters' translation logic without sockets: PacketIo::classify on frames captured
// from Linux (tests/unit/arpnd/data), NeighWatcher::handle on netlink messages built with the
// codec's builder, including malformed ones (counted, never applied).
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "core/codec/bytes.h"
#include "core/codec/netlink.h"
#include "hostroute_learner/neigh_watcher.h"
#include "hostroute_learner/packet_io.h"
#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

std::vector<std::vector<uint8_t>> captured() {
  std::ifstream in(
      std::string(HR_SOURCE_DIR) + "/tests/unit/arpnd/data/linux_arp_nd.pcap", std::ios::binary);
  std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  codec::ByteReader r(all);
  r.skip(24);
  std::vector<std::vector<uint8_t>> frames;
  while (r.remaining() >= 16) {
    r.skip(8);
    uint32_t caplen = r.u32le();
    r.u32le();
    auto b = r.bytes(caplen);
    frames.emplace_back(b.begin(), b.end());
  }
  return frames;
}

struct PacketFixture : ::testing::Test {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  Counters counters{"hostroute_learner"};
  InterfaceDb db;
  std::unique_ptr<PacketIo> io;
  std::vector<std::vector<uint8_t>> frames = captured();
  void SetUp() override {
    addSwitchInterfaces(db);
    io = std::make_unique<PacketIo>(
        *loop,
        db,
        counters,
        [](int ifindex) { return ifindex == 10 || ifindex == 30; },
        [](const Observation&, TimePoint) {});
    ASSERT_EQ(frames.size(), 22u);
  }
  uint64_t counter(const std::string& n) {
    return counters.value("hostroute_learner." + n);
  }
};

struct ClassifyCase {
  size_t frame;
  Source source;
  const char* ip;
  const char* mac;
};

TEST_F(PacketFixture, CapturedFramesBecomeObservationsOnTheirPort) {
  const ClassifyCase cases[] = {
      {2, Source::ArpRequest, "10.1.0.11", "02:00:00:00:0b:01"},
      {3, Source::ArpReply, "10.1.0.2", "02:00:00:00:0a:01"},
      {5, Source::Garp, "10.1.0.11", "02:00:00:00:0b:01"},
      {20, Source::ArpProbe, "10.1.0.2", "02:00:00:00:0b:01"},  // noted for the target
      {12, Source::Ns, "2001:db8:1::11", "02:00:00:00:0b:01"},
      {13, Source::Na, "2001:db8:1::2", "02:00:00:00:0a:01"},
      {17, Source::DadNs, "2001:db8:1::77", "02:00:00:00:0b:01"},
      {19, Source::Na, "fe80::ff:fe00:a01", "02:00:00:00:0a:01"},  // no TLLA: the Ethernet source
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.frame);
    auto o = io->classify(frames[c.frame], 11, PACKET_BROADCAST);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->ifindex, 10);
    EXPECT_EQ(o->port, 11);
    EXPECT_EQ(o->source, c.source);
    EXPECT_EQ(o->ip, ip(c.ip));
    EXPECT_EQ(o->mac, mac(c.mac));
  }
}

TEST_F(PacketFixture, SkipsOutgoingBridgeCopiesOtherInterfacesAndIgnoredTypes) {
  EXPECT_FALSE(io->classify(frames[2], 11, PACKET_OUTGOING));
  EXPECT_EQ(counter("packets.outgoing"), 1u);
  EXPECT_FALSE(io->classify(frames[2], 10, PACKET_BROADCAST));  // seen on p1 already
  EXPECT_EQ(counter("packets.bridge_copy"), 1u);
  EXPECT_FALSE(io->classify(frames[2], 20, PACKET_BROADCAST));
  EXPECT_EQ(counter("packets.other_interface"), 1u);
  EXPECT_FALSE(io->classify(frames[1], 11, PACKET_MULTICAST));  // router solicitation
  EXPECT_EQ(counter("packets.ignored"), 1u);
}

TEST_F(PacketFixture, MalformedAndSpoofedFramesAreCounted) {
  auto bad = frames[13];
  bad[56] ^= 0xff;
  EXPECT_FALSE(io->classify(bad, 11, PACKET_HOST));
  EXPECT_EQ(counter("packets.malformed"), 1u);
  EXPECT_EQ(counter("packets.malformed.bad_checksum"), 1u);
  auto spoof = frames[2];
  spoof[11] ^= 0x01;  // Ethernet source differs from the ARP sender
  EXPECT_FALSE(io->classify(spoof, 11, PACKET_BROADCAST));
  EXPECT_EQ(counter("packets.sha_mismatch"), 1u);
  EXPECT_FALSE(io->classify(std::span<const uint8_t>(frames[2].data(), 20), 11, PACKET_BROADCAST));
  EXPECT_EQ(counter("packets.malformed.truncated"), 1u);
}

TEST_F(PacketFixture, RarpIsAHintForTheMacWithoutAnAddress) {
  // A hypervisor's RARP after a live migration (crafted as VMware sends it, see
  // tests/unit/arpnd): request reverse, sha == tha == the VM's MAC, addresses 0.0.0.0.
  std::vector<uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x50, 0x56, 0x9a, 0x12,
                            0x34, 0x80, 0x35, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x03,
                            0x00, 0x50, 0x56, 0x9a, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00,
                            0x50, 0x56, 0x9a, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00};
  f.resize(60, 0);
  auto o = io->classify(f, 12, PACKET_BROADCAST);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->source, Source::Rarp);
  EXPECT_EQ(o->ifindex, 10);
  EXPECT_EQ(o->port, 12);
  EXPECT_EQ(o->mac, mac("00:50:56:9a:12:34"));
  EXPECT_TRUE(o->ip.isUnspecified());
  // A RARP whose sender differs from the Ethernet source is dropped like a spoofed ARP.
  f[11] ^= 1;
  EXPECT_FALSE(io->classify(f, 12, PACKET_BROADCAST));
  EXPECT_EQ(counter("packets.sha_mismatch"), 1u);
}

TEST(NeighborWrite, RequestReplacesTheEntryWithTheVerifiedMac) {
  auto b = NeighWatcher::encodeSetNeighbor(7, ip("10.1.0.36"), mac("02:aa:00:00:00:01"), 42);
  auto msgs = codec::nl::split(b).value();
  ASSERT_EQ(msgs.size(), 1u);
  const auto& m = msgs[0];
  EXPECT_EQ(m.hdr.type, RTM_NEWNEIGH);
  EXPECT_EQ(m.hdr.flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  EXPECT_EQ(m.hdr.seq, 42u);
  // Our own decoder reads it back as the kernel would announce it.
  auto n = codec::nl::decodeNeigh(m);
  ASSERT_TRUE(n) << n.error().str();
  EXPECT_EQ(n->ifindex, 7);
  EXPECT_EQ(n->dst, ip("10.1.0.36"));
  ASSERT_TRUE(n->lladdr);
  EXPECT_EQ(*n->lladdr, mac("02:aa:00:00:00:01"));
  EXPECT_EQ(n->state, NUD_STALE);  // no sign of life for the learner: the kernel re-checks
  auto n6 = codec::nl::decodeNeigh(
      codec::nl::split(
          NeighWatcher::encodeSetNeighbor(7, ip("2001:db8:1::36"), mac("02:aa:00:00:00:01"), 1))
          .value()[0]);
  ASSERT_TRUE(n6) << n6.error().str();
  EXPECT_EQ(n6->family, Family::V6);
  EXPECT_EQ(n6->dst, ip("2001:db8:1::36"));
}

// ---- netlink -------------------------------------------------------------------------------

struct NetlinkFixture : ::testing::Test {
  std::unique_ptr<EventLoop> loop = EventLoop::create().value();
  Counters counters{"hostroute_learner"};
  InterfaceDb db;
  std::vector<Observation> seen;
  std::vector<IpAddress> failed;
  int changes = 0;
  std::unique_ptr<NeighWatcher> w;
  void SetUp() override {
    w = std::make_unique<NeighWatcher>(
        *loop,
        db,
        counters,
        NeighWatcher::Sink{
            [this](const Observation& o) { seen.push_back(o); },
            [this](int, const IpAddress& a) { failed.push_back(a); },
            [this] { ++changes; }});
  }
  void feed(const std::vector<uint8_t>& buf, bool dump = false) {
    auto msgs = codec::nl::split(buf);
    ASSERT_TRUE(msgs) << msgs.error().str();
    for (const auto& m : *msgs) {
      w->handle(m, dump);
    }
  }
  uint64_t counter(const std::string& n) {
    return counters.value("hostroute_learner." + n);
  }
};

std::vector<uint8_t> link(
    int ifindex, const std::string& name, const std::string& kind, uint32_t master) {
  std::vector<uint8_t> out;
  codec::nl::Builder b(out, RTM_NEWLINK, 0, 1);
  uint8_t ifi[16] = {};
  ifi[0] = AF_UNSPEC;
  std::memcpy(ifi + 4, &ifindex, 4);
  uint32_t flags = 0x1 | 0x40;  // IFF_UP | IFF_RUNNING
  std::memcpy(ifi + 8, &flags, 4);
  b.fixed(ifi);
  b.attrString(IFLA_IFNAME, name);
  uint8_t m[6] = {2, 0, 0, 0, 0, static_cast<uint8_t>(ifindex)};
  b.attr(IFLA_ADDRESS, m);
  if (master != 0) {
    b.attrU32(IFLA_MASTER, master);
  }
  auto li = b.beginNested(IFLA_LINKINFO);
  b.attrString(IFLA_INFO_KIND, kind);
  b.endNested(li);
  b.finish();
  return out;
}

std::vector<uint8_t> neigh(
    int ifindex,
    const IpAddress& dst,
    std::optional<MacAddress> ll,
    uint16_t state,
    uint8_t flags = 0,
    uint16_t type = RTM_NEWNEIGH) {
  std::vector<uint8_t> out;
  codec::nl::Builder b(out, type, 0, 1);
  uint8_t nd[12] = {};
  nd[0] = dst.isV4() ? AF_INET : AF_INET6;
  std::memcpy(nd + 4, &ifindex, 4);
  std::memcpy(nd + 8, &state, 2);
  nd[10] = flags;
  b.fixed(nd);
  b.attrAddress(NDA_DST, dst);
  if (ll) {
    b.attr(NDA_LLADDR, ll->bytes());
  }
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

TEST_F(NetlinkFixture, LinksAddressesAndVrfMembership) {
  feed(link(40, "blue", "vrf", 0));
  feed(link(30, "br20", "bridge", 40));
  feed(link(31, "p9", "veth", 30));
  feed(addr(30, pfx("10.2.0.1/24")));
  EXPECT_EQ(db.vrfOf(30), "blue");
  EXPECT_EQ(db.bridgeOf(31), 30);
  EXPECT_TRUE(db.isOwnAddress(ip("10.2.0.1")));
  EXPECT_EQ(db.connectedSubnets(30), std::vector<Prefix>{pfx("10.2.0.0/24")});
  EXPECT_GE(changes, 4);
}

TEST_F(NetlinkFixture, NeighbourStatesMapToObservations) {
  auto m = mac("02:aa:00:00:00:01");
  feed(neigh(10, ip("10.1.0.11"), m, NUD_REACHABLE));
  feed(neigh(10, ip("10.1.0.12"), m, NUD_STALE), true);
  feed(neigh(10, ip("10.1.0.13"), std::nullopt, NUD_INCOMPLETE));
  feed(neigh(10, ip("10.1.0.14"), m, NUD_FAILED));
  feed(neigh(10, ip("10.1.0.15"), m, NUD_REACHABLE, NTF_EXT_LEARNED));
  feed(neigh(10, ip("10.1.0.16"), m, NUD_REACHABLE, 0, RTM_DELNEIGH));
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_TRUE(seen[0].confirms);
  EXPECT_FALSE(seen[0].fromDump);
  EXPECT_FALSE(seen[1].confirms);
  EXPECT_TRUE(seen[1].fromDump);
  EXPECT_TRUE(seen[2].extLearned);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0], ip("10.1.0.14"));
  EXPECT_EQ(counter("netlink.neigh_skipped"), 1u);
  EXPECT_EQ(counter("netlink.neigh_deleted"), 1u);
}

TEST_F(NetlinkFixture, MalformedMessagesAreCountedNotApplied) {
  // A neighbour whose NDA_DST has 5 bytes, an address message cut short, an fdb entry.
  auto bad = neigh(10, ip("10.1.0.11"), mac("02:aa:00:00:00:01"), NUD_REACHABLE);
  bad[16 + 12 + 0] = 9;  // NDA_DST length 9 -> 5 payload bytes
  feed(bad);
  std::vector<uint8_t> shortAddr;
  codec::nl::Builder b(shortAddr, RTM_NEWADDR, 0, 1);
  uint8_t two[4] = {AF_INET, 24, 0, 0};
  b.fixed(two);
  b.finish();
  feed(shortAddr);
  auto fdb = neigh(10, ip("10.1.0.11"), mac("02:aa:00:00:00:01"), NUD_REACHABLE);
  fdb[16] = AF_BRIDGE;
  feed(fdb);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(counter("netlink.malformed"), 2u);
  EXPECT_EQ(counter("netlink.neigh_skipped"), 1u);
}

}  // namespace
}  // namespace hr::learner::test
