// ARP/ND codec: golden frames captured from Linux (tests/unit/arpnd/data/README.md), round
// trips, the probes we build, and malformed input.
#include "core/codec/arp_nd.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "core/codec/bytes.h"

namespace hr::codec::arpnd {
namespace {

// A minimal pcap reader (classic little-endian pcap, Ethernet link type).
std::vector<std::vector<uint8_t>> readPcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ByteReader r(all);
  EXPECT_EQ(r.u32le(), 0xa1b2c3d4u) << path;
  r.skip(20);
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

const std::vector<std::vector<uint8_t>>& golden() {
  static auto frames = readPcap(std::string(HR_TEST_DATA_DIR) + "/linux_arp_nd.pcap");
  return frames;
}

IpAddress ip(const char* s) {
  return IpAddress::parse(s).value();
}
MacAddress mac(const char* s) {
  return MacAddress::parse(s).value();
}

const MacAddress kA = MacAddress::parse("02:00:00:00:0a:01").value();
const MacAddress kB = MacAddress::parse("02:00:00:00:0b:01").value();

TEST(ArpNdGolden, CaptureHasTheExpectedFrames) {
  ASSERT_EQ(golden().size(), 22u);
}

// One row per captured ARP frame: what the decoder must say.
struct ArpCase {
  size_t index;
  ArpOp op;
  const char* sha;
  const char* spa;
  const char* tpa;
  bool gratuitous;
  bool probe;
  size_t padding;
};

TEST(ArpNdGolden, ArpFrames) {
  const ArpCase cases[] = {
      {2, ArpOp::Request, "02:00:00:00:0b:01", "10.1.0.11", "10.1.0.2", false, false, 16},
      {3, ArpOp::Reply, "02:00:00:00:0a:01", "10.1.0.2", "10.1.0.11", false, false, 0},
      {5, ArpOp::Request, "02:00:00:00:0b:01", "10.1.0.11", "10.1.0.11", true, false, 16},
      {6, ArpOp::Request, "02:00:00:00:0b:01", "10.1.0.11", "10.1.0.11", true, false, 16},
      {20, ArpOp::Request, "02:00:00:00:0b:01", "0.0.0.0", "10.1.0.2", false, true, 16},
      {21, ArpOp::Reply, "02:00:00:00:0a:01", "10.1.0.2", "0.0.0.0", false, false, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.index);
    auto f = decode(golden()[c.index]);
    ASSERT_TRUE(f) << f.error().str();
    const Arp* a = f->arp();
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->op, c.op);
    EXPECT_EQ(a->sha, mac(c.sha));
    EXPECT_EQ(a->spa, ip(c.spa));
    EXPECT_EQ(a->tpa, ip(c.tpa));
    EXPECT_EQ(a->isGratuitous(), c.gratuitous);
    EXPECT_EQ(a->isProbe(), c.probe);
    EXPECT_EQ(f->padding.size(), c.padding);
    EXPECT_EQ(f->eth.src, a->sha);
  }
}

struct NdCase {
  size_t index;
  NdType type;
  const char* src;
  const char* dst;
  const char* target;
  bool dad;
  std::optional<MacAddress> ll;  // SLLA of a NS, TLLA of a NA
  bool solicited;
  size_t options;  // all options, link-layer ones included
};

TEST(ArpNdGolden, NdFrames) {
  const NdCase cases[] = {
      {0, NdType::Ns, "::", "ff02::1:ff00:b01", "fe80::ff:fe00:b01", true, std::nullopt, false, 1},
      {10, NdType::Ns, "fe80::ff:fe00:b01", "ff02::1:ff00:2", "2001:db8:1::2", false, kB, false, 1},
      {11, NdType::Na, "2001:db8:1::2", "fe80::ff:fe00:b01", "2001:db8:1::2", false, kA, true, 1},
      {12, NdType::Ns, "2001:db8:1::11", "ff02::1:ff00:2", "2001:db8:1::2", false, kB, false, 1},
      {13, NdType::Na, "2001:db8:1::2", "2001:db8:1::11", "2001:db8:1::2", false, kA, true, 1},
      {17, NdType::Ns, "::", "ff02::1:ff00:77", "2001:db8:1::77", true, std::nullopt, false, 1},
      {18,
       NdType::Ns,
       "fe80::ff:fe00:b01",
       "fe80::ff:fe00:a01",
       "fe80::ff:fe00:a01",
       false,
       kB,
       false,
       1},
      {19,
       NdType::Na,
       "fe80::ff:fe00:a01",
       "fe80::ff:fe00:b01",
       "fe80::ff:fe00:a01",
       false,
       std::nullopt,
       true,
       0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.index);
    auto f = decode(golden()[c.index]);
    ASSERT_TRUE(f) << f.error().str();
    const Nd* nd = f->nd();
    ASSERT_NE(nd, nullptr);
    EXPECT_EQ(nd->type, c.type);
    EXPECT_EQ(nd->src, ip(c.src));
    EXPECT_EQ(nd->dst, ip(c.dst));
    EXPECT_EQ(nd->target, ip(c.target));
    EXPECT_EQ(nd->isDad(), c.dad);
    EXPECT_EQ(nd->linkLayer(), c.ll);
    EXPECT_EQ(nd->solicited, c.solicited);
    EXPECT_EQ(nd->options.size(), c.options);
    EXPECT_EQ(nd->hopLimit, 255);
  }
}

TEST(ArpNdGolden, OtherFramesAreIgnoredNotMalformed) {
  for (size_t i : {1u, 4u, 9u, 14u, 15u, 16u}) {
    auto f = decode(golden()[i]);
    ASSERT_FALSE(f) << i;
    EXPECT_TRUE(isIgnore(f.error())) << i << " " << f.error().str();
  }
}

TEST(ArpNdGolden, EveryDecodedFrameRoundTrips) {
  size_t decoded = 0;
  for (size_t i = 0; i < golden().size(); ++i) {
    auto f = decode(golden()[i]);
    if (!f) {
      continue;
    }
    ++decoded;
    EXPECT_EQ(encode(*f, true), golden()[i]) << "frame " << i;
    // Recomputing the checksum gives the captured value: our checksum matches Linux's.
    EXPECT_EQ(encode(*f, false), golden()[i]) << "frame " << i;
  }
  EXPECT_EQ(decoded, 16u);
}

TEST(ArpNdBuild, NsProbeEqualsLinuxNs) {
  // Frame 12 is Linux's multicast NS from 2001:db8:1::11 for 2001:db8:1::2.
  auto ns = buildNs(kB, ip("2001:db8:1::11"), std::nullopt, ip("2001:db8:1::2"));
  EXPECT_EQ(ns, golden()[12]);
  // Frame 18 is Linux's unicast NUD probe.
  auto uni = buildNs(kB, ip("fe80::ff:fe00:b01"), kA, ip("fe80::ff:fe00:a01"));
  EXPECT_EQ(uni, golden()[18]);
}

TEST(ArpNdBuild, ArpRequestAndProbe) {
  auto req = buildArpRequest(kA, ip("10.1.0.2"), kB, ip("10.1.0.11"));
  ASSERT_EQ(req.size(), 42u);  // unpadded, as Linux's own arp_send (the driver pads)
  auto f = decode(req);
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(f->eth.dst, kB);
  EXPECT_EQ(f->arp()->op, ArpOp::Request);
  EXPECT_EQ(f->arp()->spa, ip("10.1.0.2"));
  EXPECT_EQ(f->arp()->tpa, ip("10.1.0.11"));
  // Linux's broadcast request (frame 2) is the same frame as ours with B's addresses.
  auto linuxLike = buildArpRequest(kB, ip("10.1.0.11"), mac("ff:ff:ff:ff:ff:ff"), ip("10.1.0.2"));
  EXPECT_EQ(linuxLike, std::vector<uint8_t>(golden()[2].begin(), golden()[2].begin() + 42));
  auto probe = buildArpRequest(kB, IpAddress(), mac("ff:ff:ff:ff:ff:ff"), ip("10.1.0.2"));
  EXPECT_EQ(probe, std::vector<uint8_t>(golden()[20].begin(), golden()[20].begin() + 42));
  auto rep = decode(buildArpReply(kA, ip("10.1.0.2"), kB, ip("10.1.0.11")));
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->arp()->op, ArpOp::Reply);
}

TEST(ArpNdBuild, DadNsAndUnsolicitedNa) {
  auto dad = decode(buildNs(kB, IpAddress::v6({}), std::nullopt, ip("2001:db8:1::77")));
  ASSERT_TRUE(dad) << dad.error().str();
  EXPECT_TRUE(dad->nd()->isDad());
  EXPECT_FALSE(dad->nd()->sourceLl);
  auto na = decode(buildNa(
      kB,
      ip("2001:db8:1::11"),
      mac("33:33:00:00:00:01"),
      ip("ff02::1"),
      ip("2001:db8:1::11"),
      false,
      true));
  ASSERT_TRUE(na) << na.error().str();
  EXPECT_EQ(na->nd()->type, NdType::Na);
  EXPECT_TRUE(na->nd()->override);
  EXPECT_EQ(na->nd()->targetLl, kB);
}

TEST(ArpNdBuild, MulticastHelpers) {
  EXPECT_EQ(solicitedNodeMulticast(ip("2001:db8:1::abcd:1234")), ip("ff02::1:ffcd:1234"));
  EXPECT_EQ(ipv6MulticastMac(ip("ff02::1:ffcd:1234")), mac("33:33:ff:cd:12:34"));
}

// Malformed input: each mutation of a valid frame is rejected with its own code.
struct BadCase {
  const char* name;
  size_t index;
  std::function<void(std::vector<uint8_t>&)> mutate;
  const char* code;
};

TEST(ArpNdMalformed, MutationsAreRejectedWithTheirCode) {
  const BadCase cases[] = {
      {"empty", 3, [](auto& b) { b.clear(); }, "truncated"},
      {"short arp", 3, [](auto& b) { b.resize(30); }, "truncated"},
      {"hlen 8", 3, [](auto& b) { b[18] = 8; }, "bad_arp_format"},
      {"ptype v6",
       3,
       [](auto& b) {
         b[16] = 0x86;
         b[17] = 0xdd;
       },
       "bad_arp_format"},
      {"op 3", 3, [](auto& b) { b[21] = 3; }, "bad_arp_op"},
      {"trailing after 60", 2, [](auto& b) { b.resize(61); }, "trailing_bytes"},
      {"ip version 4", 13, [](auto& b) { b[14] = 0x45; }, "bad_ip_version"},
      {"payload too long", 13, [](auto& b) { b[19] = 200; }, "bad_payload_len"},
      {"hop-by-hop", 13, [](auto& b) { b[20] = 0; }, "ext_header"},
      {"hop limit 64", 13, [](auto& b) { b[21] = 64; }, "bad_hop_limit"},
      {"code 1", 13, [](auto& b) { b[55] = 1; }, "bad_icmp_code"},
      {"checksum", 13, [](auto& b) { b[56] ^= 0xff; }, "bad_checksum"},
      {"trailing after nd", 13, [](auto& b) { b.push_back(0); }, "trailing_bytes"},
  };
  for (const auto& c : cases) {
    auto b = golden()[c.index];
    c.mutate(b);
    auto f = decode(b);
    ASSERT_FALSE(f) << c.name;
    EXPECT_EQ(f.error().code, c.code) << c.name << ": " << f.error().str();
  }
}

// Crafted ND messages with a valid checksum but invalid contents.
std::vector<uint8_t> withChecksum(Frame f) {
  return encode(f, false);
}

TEST(ArpNdMalformed, InvalidNdContents) {
  auto base = decode(golden()[13]).value();
  {
    auto f = base;
    std::get<Nd>(f.body).target = ip("ff02::1");
    auto r = decode(withChecksum(f));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "bad_target");
  }
  {
    auto f = base;
    std::get<Nd>(f.body).options.push_back(NdOption{9, {}});  // encodes length 0
    auto r = decode(withChecksum(f));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "bad_option");
  }
  {
    auto f = decode(golden()[17]).value();
    std::get<Nd>(f.body).options.push_back(NdOption{1, {2, 0, 0, 0, 0x0b, 1}});  // DAD with SLLA
    auto r = decode(withChecksum(f));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "bad_dad");
  }
  {
    auto f = base;
    std::get<Nd>(f.body).dst = ip("ff02::1");  // solicited NA to multicast
    auto r = decode(withChecksum(f));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "bad_target");
  }
}

TEST(ArpNdMalformed, EveryTruncationIsAnErrorNeverACrash) {
  for (const auto& g : golden()) {
    for (size_t n = 0; n < g.size(); ++n) {
      auto f = decode(std::span<const uint8_t>(g.data(), n));
      // A prefix of a padded ARP frame is still a valid ARP frame once 42 bytes are there.
      if (f) {
        EXPECT_GE(n, 42u);
        EXPECT_NE(f->arp(), nullptr);
      }
    }
  }
}

TEST(ArpNdMalformed, DuplicateLinkLayerOption) {
  auto f = decode(golden()[13]).value();
  auto& nd = std::get<Nd>(f.body);
  nd.options.push_back(nd.options.front());
  auto r = decode(withChecksum(f));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_option");
}

TEST(ArpNd, VlanTaggedArp) {
  auto b = golden()[3];
  b.insert(b.begin() + 12, {0x81, 0x00, 0x00, 0x0a});
  auto f = decode(b);
  ASSERT_TRUE(f) << f.error().str();
  EXPECT_EQ(f->eth.vlanTci, 10);
  EXPECT_EQ(encode(*f), b);
}

}  // namespace
}  // namespace hr::codec::arpnd

namespace hr::codec::arpnd {
namespace {

// RARP (RFC 903) as VMware ESXi broadcasts it for a VM after a vMotion (crafted to that
// layout: no RARP capture ships with Linux): broadcast, ethertype 0x8035, request reverse,
// sha == tha == the VM's MAC, both protocol addresses 0.0.0.0, padded to 60 bytes.
std::vector<uint8_t> vmotionRarp() {
  std::vector<uint8_t> b = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // dst: broadcast
      0x00, 0x50, 0x56, 0x9a, 0x12, 0x34,  // src: the VM
      0x80, 0x35,                          // RARP
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  // Ethernet, IPv4, 6, 4
      0x00, 0x03,                          // request reverse
      0x00, 0x50, 0x56, 0x9a, 0x12, 0x34,  // sha
      0x00, 0x00, 0x00, 0x00,              // spa
      0x00, 0x50, 0x56, 0x9a, 0x12, 0x34,  // tha
      0x00, 0x00, 0x00, 0x00,              // tpa
  };
  b.resize(60, 0);
  return b;
}

TEST(Rarp, VmotionAnnouncementDecodesAndRoundTrips) {
  auto f = decode(vmotionRarp());
  ASSERT_TRUE(f) << f.error().str();
  ASSERT_NE(f->arp(), nullptr);
  const Arp& a = *f->arp();
  EXPECT_EQ(f->eth.etherType, kEtherTypeRarp);
  EXPECT_EQ(a.op, ArpOp::ReverseRequest);
  EXPECT_TRUE(a.isReverse());
  EXPECT_FALSE(a.isProbe());  // 0.0.0.0 senders of RARP are not RFC 5227 probes
  EXPECT_FALSE(a.isGratuitous());
  EXPECT_EQ(a.sha, MacAddress::parse("00:50:56:9a:12:34").value());
  EXPECT_EQ(a.sha, f->eth.src);
  EXPECT_EQ(encode(*f), vmotionRarp());
}

TEST(Rarp, OperationsMustMatchTheEtherType) {
  auto rarpWithArpOp = vmotionRarp();
  rarpWithArpOp[21] = 0x01;
  auto r = decode(rarpWithArpOp);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_arp_op");
  auto arpWithRarpOp = vmotionRarp();
  arpWithRarpOp[12] = 0x08;  // ethertype 0x0806 with operation 3
  arpWithRarpOp[13] = 0x06;
  r = decode(arpWithRarpOp);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "bad_arp_op");
  for (size_t n = 0; n < 42; ++n) {
    EXPECT_FALSE(decode(std::span<const uint8_t>(vmotionRarp().data(), n))) << n;
  }
}

}  // namespace
}  // namespace hr::codec::arpnd
