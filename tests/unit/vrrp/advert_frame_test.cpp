// The bytes a group's advertisement puts on the wire (vrrp_anycast/advert_frame.h), for the
// configured checksum form: the VRRP messages are compared with the vectors of
// shared/VRRP.md §4 (FRR 8.4's advertisement from 10.1.0.11 at priority 200).
#include "vrrp_anycast/advert_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/codec/vrrp.h"
#include "tests/unit/hex.h"

namespace hr::vrrp {
namespace {

namespace wire = codec::vrrp;
using Bytes = std::vector<uint8_t>;
using ::hr::test::hex;

IpAddress ip(const char* s) {
  return IpAddress::parse(s).value();
}

GroupConfig group(wire::ChecksumForm form) {
  GroupConfig g;
  g.interface = "br10";
  g.vrid = 10;
  g.v4 = {ip("10.1.0.1")};
  g.v6 = {ip("2001:db8:1::1")};
  g.priority = 200;
  g.checksum = form;
  return g;
}

Bytes slice(const Bytes& b, size_t from, size_t len) {
  return Bytes(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(from + len));
}

TEST(AdvertFrame, Ipv4WithoutPseudoHeaderOnTheWire) {
  auto f =
      advertFrame(group(wire::ChecksumForm::NoPseudoHeader), Family::V4, ip("10.1.0.11"), 200, 7);
  ASSERT_EQ(f.size(), 14u + 20u + 12u);
  EXPECT_EQ(slice(f, 0, 14), hex("01 00 5e 00 00 12  00 00 5e 00 01 0a  08 00"));
  EXPECT_EQ(f[14], 0x45);
  EXPECT_EQ(f[15], 0xc0);                    // TOS
  EXPECT_EQ(f[22], 255);                     // TTL
  EXPECT_EQ(f[23], 112);                     // protocol
  EXPECT_EQ(slice(f, 18, 2), hex("00 07"));  // IP id
  EXPECT_EQ(slice(f, 26, 8), hex("0a 01 00 0b  e0 00 00 12"));
  // The VRRP message: checksum 0xfc8d, the message alone (with the pseudo-header it would
  // be 0x11f3, the form FRR 8.4 sends).
  EXPECT_EQ(slice(f, 34, 12), hex("31 0a c8 01 00 64 fc 8d 0a 01 00 01"));
  auto d = wire::decodeFrame(f);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->packet.checksumForm, wire::ChecksumForm::NoPseudoHeader);
  EXPECT_EQ(d->packet.advert.priority, 200);
  auto msg = slice(f, 34, 12);
  EXPECT_NE(
      wire::checksum(msg, ip("10.1.0.11"), ip("224.0.0.18"), wire::ChecksumForm::PseudoHeader),
      0xfc8d);
}

TEST(AdvertFrame, Ipv4WithPseudoHeaderIsFrrsMessage) {
  auto f =
      advertFrame(group(wire::ChecksumForm::PseudoHeader), Family::V4, ip("10.1.0.11"), 200, 1);
  EXPECT_EQ(slice(f, 34, 12), hex("31 0a c8 01 00 64 11 f3 0a 01 00 01"));
  auto d = wire::decodeFrame(f);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->packet.checksumForm, wire::ChecksumForm::PseudoHeader);
}

TEST(AdvertFrame, Ipv6AlwaysWithPseudoHeader) {
  // Configured without: IPv6 ignores it (RFC 5798 §5.2.8 has no other form for IPv6).
  IpAddress ll = ip("fe80::71ce:eb67:3f37:42b5");
  for (auto form : {wire::ChecksumForm::NoPseudoHeader, wire::ChecksumForm::PseudoHeader}) {
    auto f = advertFrame(group(form), Family::V6, ll, 200, 1);
    ASSERT_EQ(f.size(), 14u + 40u + 24u);
    EXPECT_EQ(slice(f, 0, 14), hex("33 33 00 00 00 12  00 00 5e 00 02 0a  86 dd"));
    EXPECT_EQ(f[14 + 7], 255);  // hop limit
    EXPECT_EQ(
        slice(f, 54, 24),
        hex("31 0a c8 01 00 64 fb 93 20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01"));
    auto d = wire::decodeFrame(f);
    ASSERT_TRUE(d) << d.error().str();
    EXPECT_EQ(d->packet.checksumForm, wire::ChecksumForm::PseudoHeader);
  }
}

TEST(AdvertFrame, PriorityZeroAndInterval) {
  GroupConfig g = group(wire::ChecksumForm::PseudoHeader);
  g.adverIntCs = 50;
  auto f = advertFrame(g, Family::V4, ip("10.1.0.11"), 0, 1);
  auto d = wire::decodeFrame(f);
  ASSERT_TRUE(d) << d.error().str();
  EXPECT_EQ(d->packet.advert.priority, 0);
  EXPECT_EQ(d->packet.advert.maxAdverIntCs, 50);
  EXPECT_EQ(d->packet.advert.addresses, g.v4);
}

}  // namespace
}  // namespace hr::vrrp
