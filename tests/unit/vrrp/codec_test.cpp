// VRRP codec: golden frames captured from FRR 8.4.4 vrrpd and keepalived 2.2.7
// (data/*.pcap, copied unedited from shared/captures/vrrp/), the test vectors of
// shared/VRRP.md §4, round trips and the malformed cases RFC 5798 §7.1 names.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/codec/bytes.h"
#include "core/codec/vrrp.h"
#include "tests/unit/hex.h"

namespace hr::codec::vrrp {
namespace {

using Bytes = std::vector<uint8_t>;
using ::hr::test::hex;

// Minimal pcap (libpcap classic, little-endian, LINKTYPE_ETHERNET) reader.
std::vector<Bytes> readPcap(const std::string& name) {
  std::ifstream f(std::string(HR_TEST_DATA_DIR) + "/" + name, std::ios::binary);
  Bytes all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ByteReader r(all);
  EXPECT_EQ(r.u32le(), 0xa1b2c3d4u) << name;
  r.skip(16);
  EXPECT_EQ(r.u32le(), 1u) << "link type of " << name;
  std::vector<Bytes> frames;
  while (r.ok() && !r.atEnd()) {
    r.skip(8);
    uint32_t caplen = r.u32le();
    r.u32le();
    auto b = r.bytes(caplen);
    frames.emplace_back(b.begin(), b.end());
  }
  EXPECT_TRUE(r.ok()) << name;
  return frames;
}

IpAddress ip(const char* s) {
  return IpAddress::parse(s).value();
}

const IpAddress kVip4 = ip("10.1.0.1");
const IpAddress kVip6 = ip("2001:db8:1::1");

struct Golden {
  const char* file;
  size_t index;
  IpAddress src;
  uint8_t priority;
  uint16_t checksum;
  uint16_t checksumWithoutPseudo;
  bool dontFragment;
};

void PrintTo(const Golden& g, std::ostream* os) {
  *os << g.file << " #" << g.index;
}

class GoldenFrames : public ::testing::TestWithParam<Golden> {};

TEST_P(GoldenFrames, DecodeAndRoundTrip) {
  const Golden& g = GetParam();
  auto frames = readPcap(g.file);
  ASSERT_GT(frames.size(), g.index);
  const Bytes& raw = frames[g.index];
  auto f = decodeFrame(raw);
  ASSERT_TRUE(f) << f.error().str();
  Family fam = g.src.family();
  EXPECT_EQ(f->src, virtualMac(fam, 10));
  EXPECT_EQ(f->dst, groupMac(fam));
  const Packet& p = f->packet;
  EXPECT_EQ(p.ip.src, g.src);
  EXPECT_EQ(p.ip.dst, groupAddress(fam));
  EXPECT_EQ(p.ip.ttl, 255);
  EXPECT_EQ(p.ip.tos, 0xc0);
  EXPECT_EQ(p.ip.dontFragment, g.dontFragment);
  EXPECT_EQ(p.advert.version, 3);
  EXPECT_EQ(p.advert.type, 1);
  EXPECT_EQ(p.advert.vrid, 10);
  EXPECT_EQ(p.advert.priority, g.priority);
  EXPECT_EQ(p.advert.maxAdverIntCs, 100);
  ASSERT_EQ(p.advert.addresses.size(), 1u);
  EXPECT_EQ(p.advert.addresses[0], fam == Family::V4 ? kVip4 : kVip6);
  EXPECT_EQ(p.checksum, g.checksum);
  EXPECT_EQ(p.checksumForm, ChecksumForm::PseudoHeader);

  // Both checksum forms as shared/VRRP.md computed them.
  auto msg = encodeAdvert(p.advert, p.ip.src, p.ip.dst, ChecksumForm::PseudoHeader);
  EXPECT_EQ(checksum(msg, p.ip.src, p.ip.dst, ChecksumForm::PseudoHeader), g.checksum);
  EXPECT_EQ(
      checksum(msg, p.ip.src, p.ip.dst, ChecksumForm::NoPseudoHeader), g.checksumWithoutPseudo);

  // Round trip: the whole frame, byte for byte.
  EXPECT_EQ(encodeFrame(f->dst, f->src, p.ip, p.advert, p.checksumForm), raw);
}

INSTANTIATE_TEST_SUITE_P(
    Captures,
    GoldenFrames,
    ::testing::Values(
        Golden{"frr_adverts.pcap", 0, ip("10.1.0.11"), 200, 0x11f3, 0xfc8d, true},
        Golden{"frr_adverts.pcap", 1, ip("fe80::71ce:eb67:3f37:42b5"), 200, 0xfb93, 0xd8d4, false},
        Golden{"frr_adverts.pcap", 2, ip("10.1.0.11"), 200, 0x11f3, 0xfc8d, true},
        Golden{"frr_adverts.pcap", 5, ip("fe80::71ce:eb67:3f37:42b5"), 200, 0xfb93, 0xd8d4, false},
        Golden{"keepalived_adverts.pcap", 0, ip("10.1.0.12"), 250, 0xdff1, 0xca8d, false},
        Golden{"keepalived_adverts.pcap", 1, ip("fe80::ff:fe00:2"), 250, 0xa9b4, 0xa6d4, false}),
    [](const ::testing::TestParamInfo<Golden>& i) {
      std::string n = std::string(i.param.file).substr(0, std::string(i.param.file).find('_'));
      return n + "_frame" + std::to_string(i.param.index) + (i.param.src.isV4() ? "_v4" : "_v6");
    });

TEST(GoldenFrames, EveryCapturedFrameDecodes) {
  size_t n = 0;
  for (const char* file : {"frr_adverts.pcap", "keepalived_adverts.pcap"}) {
    for (const auto& raw : readPcap(file)) {
      auto f = decodeFrame(raw);
      ASSERT_TRUE(f) << file << ": " << f.error().str();
      EXPECT_EQ(
          encodeFrame(f->dst, f->src, f->packet.ip, f->packet.advert, f->packet.checksumForm), raw);
      ++n;
    }
  }
  EXPECT_EQ(n, 8u);
}

// shared/VRRP.md §4 "More test vectors": priority-0 and priority-100 adverts.
struct Vector {
  const char* src;
  const char* bytes;
  uint16_t withPseudo;
  uint16_t withoutPseudo;
};

TEST(Vectors, ChecksumsOfTheSharedTable) {
  const Vector vs[] = {
      {"10.1.0.11", "31 0a 00 01 00 64 d9 f3 0a 01 00 01", 0xd9f3, 0xc48e},
      {"fe80::71ce:eb67:3f37:42b5",
       "31 0a 00 01 00 64 c3 94 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01",
       0xc394,
       0xa0d5},
      {"10.1.0.12", "31 0a 00 01 00 64 d9 f2 0a 01 00 01", 0xd9f2, 0xc48e},
      {"fe80::ff:fe00:2",
       "31 0a 00 01 00 64 a3 b5 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01",
       0xa3b5,
       0xa0d5},
      {"10.1.0.12", "31 0a 64 01 00 64 75 f2 0a 01 00 01", 0x75f2, 0x608e},
      {"fe80::ff:fe00:2",
       "31 0a 64 01 00 64 3f b5 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01",
       0x3fb5,
       0x3cd5},
  };
  for (const auto& v : vs) {
    IpAddress src = ip(v.src);
    IpAddress dst = groupAddress(src.family());
    Bytes b = hex(v.bytes);
    EXPECT_EQ(checksum(b, src, dst, ChecksumForm::PseudoHeader), v.withPseudo) << v.bytes;
    EXPECT_EQ(checksum(b, src, dst, ChecksumForm::NoPseudoHeader), v.withoutPseudo) << v.bytes;
    ChecksumForm form;
    auto a = decodeAdvert(b, src, dst, &form);
    ASSERT_TRUE(a) << a.error().str();
    EXPECT_EQ(form, ChecksumForm::PseudoHeader);
    EXPECT_EQ(encodeAdvert(*a, src, dst, form), b);
  }
}

TEST(Checksum, Ipv4WithoutPseudoHeaderIsAcceptedAndReported) {
  // FRR's advert with the RFC 3768 / RFC 9568 style checksum.
  Bytes b = hex("31 0a c8 01 00 64 fc 8d 0a 01 00 01");
  IpAddress src = ip("10.1.0.11");
  ChecksumForm form = ChecksumForm::PseudoHeader;
  auto a = decodeAdvert(b, src, groupAddress(Family::V4), &form);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(form, ChecksumForm::NoPseudoHeader);
  EXPECT_EQ(encodeAdvert(*a, src, groupAddress(Family::V4), ChecksumForm::NoPseudoHeader), b);
}

TEST(Checksum, Ipv6NeverWithoutPseudoHeader) {
  Bytes b = hex("31 0a c8 01 00 64 d8 d4 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01");
  auto a = decodeAdvert(b, ip("fe80::71ce:eb67:3f37:42b5"), groupAddress(Family::V6));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, "checksum-errors");
}

// --- malformed ------------------------------------------------------------------------------

Bytes frrFrame() {
  return hex(
      "01 00 5e 00 00 12 00 00 5e 00 01 0a 08 00 45 c0 00 20 0d 0e 40 00 ff 70 83 81 0a 01 00 0b "
      "e0 00 00 12 31 0a c8 01 00 64 11 f3 0a 01 00 01");
}

// Rewrites the VRRP part of an IPv4 frame and fixes both checksums (so only the property
// under test is wrong).
Bytes withVrrp(Bytes vrrp, bool fixChecksum = true) {
  Bytes f = frrFrame();
  f.resize(14 + 20);
  IpAddress src = ip("10.1.0.11");
  if (fixChecksum && vrrp.size() >= 8) {
    uint16_t c = checksum(vrrp, src, groupAddress(Family::V4), ChecksumForm::PseudoHeader);
    vrrp[6] = static_cast<uint8_t>(c >> 8);
    vrrp[7] = static_cast<uint8_t>(c);
  }
  f.insert(f.end(), vrrp.begin(), vrrp.end());
  uint16_t total = static_cast<uint16_t>(20 + vrrp.size());
  f[16] = static_cast<uint8_t>(total >> 8);
  f[17] = static_cast<uint8_t>(total);
  f[24] = f[25] = 0;
  InetChecksum hc;
  hc.add(std::span<const uint8_t>(f.data() + 14, 20));
  uint16_t h = hc.finish();
  f[24] = static_cast<uint8_t>(h >> 8);
  f[25] = static_cast<uint8_t>(h);
  return f;
}

// Recomputes the IPv4 header checksum of a frame after a header field was changed.
Bytes fixIpSum(Bytes f) {
  f[24] = f[25] = 0;
  InetChecksum hc;
  hc.add(std::span<const uint8_t>(f.data() + 14, 20));
  uint16_t h = hc.finish();
  f[24] = static_cast<uint8_t>(h >> 8);
  f[25] = static_cast<uint8_t>(h);
  return f;
}

std::string errorOf(const Bytes& frame) {
  auto f = decodeFrame(frame);
  return f ? std::string("ok") : f.error().code;
}

TEST(Malformed, EachCheckHasItsCounterName) {
  struct Case {
    const char* what;
    Bytes frame;
    const char* code;
  };
  Bytes ttl = frrFrame();
  ttl[22] = 254;  // TTL
  ttl = fixIpSum(ttl);
  Bytes badSum = frrFrame();
  badSum[40] ^= 0x01;  // VRRP checksum
  Bytes badHeaderSum = frrFrame();
  badHeaderSum[24] ^= 0x01;
  Bytes fragment = frrFrame();
  fragment[20] = 0x20;  // MF
  fragment = fixIpSum(fragment);
  Bytes proto = frrFrame();
  proto[23] = 17;
  proto = fixIpSum(proto);
  Bytes ipTotalTooLong = frrFrame();
  ipTotalTooLong[17] = 0x40;

  const Case cases[] = {
      {"golden", frrFrame(), "ok"},
      {"ttl 254", ttl, "ip-ttl-errors"},
      {"version 4", withVrrp(hex("41 0a c8 01 00 64 00 00 0a 01 00 01")), "version-errors"},
      {"version 1", withVrrp(hex("11 0a c8 01 00 64 00 00 0a 01 00 01")), "version-errors"},
      {"checksum", badSum, "checksum-errors"},
      {"type 2", withVrrp(hex("32 0a c8 01 00 64 00 00 0a 01 00 01")), "invalid-type-pkts-rcvd"},
      {"count 2, one address",
       withVrrp(hex("31 0a c8 02 00 64 00 00 0a 01 00 01")),
       "packet-length-errors"},
      {"trailing bytes",
       withVrrp(hex("31 0a c8 01 00 64 00 00 0a 01 00 01 00 00 00 00")),
       "packet-length-errors"},
      {"shorter than the header",
       withVrrp(hex("31 0a c8 01 00 64"), false),
       "packet-length-errors"},
      {"count 0", withVrrp(hex("31 0a c8 00 00 64 00 00")), "address-list-errors"},
      {"vrid 0", withVrrp(hex("31 00 c8 01 00 64 00 00 0a 01 00 01")), "vrid-errors"},
      {"IP header checksum", badHeaderSum, "ip-header-errors"},
      {"fragment", fragment, "ip-header-errors"},
      {"IP total length past the frame", ipTotalTooLong, "ip-header-errors"},
      {"UDP", proto, "not-vrrp"},
      {"ARP", encodeGratuitousArp(virtualMac(Family::V4, 10), kVip4), "not-vrrp"},
      {"empty", Bytes{}, "ip-header-errors"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(errorOf(c.frame), c.code) << c.what;
  }
}

TEST(Malformed, Ipv6HopLimitAndLength) {
  auto frames = readPcap("frr_adverts.pcap");
  Bytes hop = frames[1];
  hop[14 + 7] = 64;
  EXPECT_EQ(errorOf(hop), "ip-ttl-errors");
  Bytes plen = frames[1];
  plen[14 + 5] = 0x30;  // payload length 48 > 24 present
  EXPECT_EQ(errorOf(plen), "ip-header-errors");
  Bytes v2 = frames[1];
  v2[14 + 40] = 0x21;
  EXPECT_EQ(errorOf(v2), "version-errors");
  // Ethernet padding after the payload is not part of the packet.
  Bytes padded = frames[0];
  padded.resize(60, 0);
  EXPECT_EQ(errorOf(padded), "ok");
}

TEST(Malformed, EveryTruncationIsAnErrorNotACrash) {
  for (const char* file : {"frr_adverts.pcap", "keepalived_adverts.pcap"}) {
    for (const auto& raw : readPcap(file)) {
      for (size_t n = 0; n < raw.size(); ++n) {
        auto f = decodeFrame(std::span<const uint8_t>(raw.data(), n));
        EXPECT_FALSE(f) << file << " cut at " << n;
      }
    }
  }
}

// --- VRRPv2 ---------------------------------------------------------------------------------

TEST(Version2, RoundTripWithAuthDataAndNoPseudoHeader) {
  Advert a;
  a.version = 2;
  a.vrid = 7;
  a.priority = 150;
  a.maxAdverIntCs = 300;
  a.addresses = {ip("192.0.2.1"), ip("192.0.2.2")};
  IpHeader h;
  h.src = ip("192.0.2.10");
  h.dst = groupAddress(Family::V4);
  auto bytes = encodeIp(h, a, ChecksumForm::PseudoHeader);  // v2 ignores the form
  auto p = decodeIp(bytes);
  ASSERT_TRUE(p) << p.error().str();
  EXPECT_EQ(p->advert, a);
  EXPECT_EQ(p->checksumForm, ChecksumForm::NoPseudoHeader);
  EXPECT_EQ(encodeIp(p->ip, p->advert, p->checksumForm), bytes);
  // byte 5: Adver Int in seconds.
  EXPECT_EQ(bytes[20 + 5], 3);
}

// --- announcements --------------------------------------------------------------------------

TEST(Announcements, GratuitousArpGolden) {
  auto b = encodeGratuitousArp(virtualMac(Family::V4, 10), kVip4);
  EXPECT_EQ(
      b,
      hex("ff ff ff ff ff ff 00 00 5e 00 01 0a 08 06 00 01 08 00 06 04 00 01 00 00 5e 00 01 0a "
          "0a 01 00 01 00 00 00 00 00 00 0a 01 00 01"));
  auto a = decodeAnnouncement(b);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(a->linkAddress, virtualMac(Family::V4, 10));
  EXPECT_EQ(a->address, kVip4);
}

TEST(Announcements, UnsolicitedNaRoundTrip) {
  IpAddress ll = ip("fe80::1");
  auto b = encodeUnsolicitedNa(virtualMac(Family::V6, 10), ll, kVip6, true);
  ASSERT_EQ(b.size(), 14u + 40 + 32);
  auto a = decodeAnnouncement(b);
  ASSERT_TRUE(a) << a.error().str();
  EXPECT_EQ(a->ethSrc, virtualMac(Family::V6, 10));
  EXPECT_EQ(a->ethDst, MacAddress::parse("33:33:00:00:00:01").value());
  EXPECT_EQ(a->linkAddress, virtualMac(Family::V6, 10));
  EXPECT_EQ(a->address, kVip6);
  EXPECT_EQ(a->ipSrc, ll);
  EXPECT_TRUE(a->router);
  EXPECT_TRUE(a->override_);
  EXPECT_FALSE(a->solicited);
  b[14 + 40 + 8] ^= 1;  // corrupt the target
  EXPECT_FALSE(decodeAnnouncement(b));
}

TEST(Helpers, VirtualMacsAndGroups) {
  EXPECT_EQ(virtualMac(Family::V4, 255).str(), "00:00:5e:00:01:ff");
  EXPECT_EQ(virtualMac(Family::V6, 1).str(), "00:00:5e:00:02:01");
  EXPECT_EQ(groupAddress(Family::V4).str(), "224.0.0.18");
  EXPECT_EQ(groupAddress(Family::V6).str(), "ff02::12");
  EXPECT_EQ(peekVrid(hex("31 0a")), 10);
  EXPECT_FALSE(peekVrid(hex("31")));
}

}  // namespace
}  // namespace hr::codec::vrrp
