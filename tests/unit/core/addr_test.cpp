#include "core/net/addr.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace hr {
namespace {

TEST(IpAddress, ParsesAndFormats) {
  EXPECT_EQ(IpAddress::parse("10.1.0.11")->str(), "10.1.0.11");
  EXPECT_EQ(IpAddress::parse("2001:DB8:1::0011")->str(), "2001:db8:1::11");
  EXPECT_FALSE(IpAddress::parse("10.1.0"));
  EXPECT_FALSE(IpAddress::parse("10.1.0.256"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_EQ(IpAddress::parse("10.1.0.11")->v4HostOrder(), 0x0a01000bu);
  EXPECT_EQ(IpAddress::v4(0x0a01000b).str(), "10.1.0.11");
}

TEST(IpAddress, Classes) {
  EXPECT_TRUE(IpAddress::parse("0.0.0.0")->isUnspecified());
  EXPECT_TRUE(IpAddress::parse("::")->isUnspecified());
  EXPECT_TRUE(IpAddress::parse("169.254.3.4")->isLinkLocal());
  EXPECT_TRUE(IpAddress::parse("fe80::1")->isLinkLocal());
  EXPECT_FALSE(IpAddress::parse("fec0::1")->isLinkLocal());
  EXPECT_TRUE(IpAddress::parse("224.0.0.18")->isMulticast());
  EXPECT_TRUE(IpAddress::parse("ff02::12")->isMulticast());
  EXPECT_TRUE(IpAddress::parse("255.255.255.255")->isLimitedBroadcast());
  EXPECT_TRUE(IpAddress::parse("127.0.0.1")->isLoopback());
  EXPECT_TRUE(IpAddress::parse("::1")->isLoopback());
  EXPECT_FALSE(IpAddress::parse("10.1.0.1")->isMulticast());
}

TEST(IpAddress, FromBytesChecksLength) {
  uint8_t four[4] = {10, 1, 0, 1};
  EXPECT_EQ(IpAddress::fromBytes(four)->str(), "10.1.0.1");
  uint8_t five[5] = {};
  EXPECT_FALSE(IpAddress::fromBytes(five));
}

TEST(IpAddress, OrderAndHash) {
  auto a = *IpAddress::parse("10.1.0.1");
  auto b = *IpAddress::parse("10.1.0.2");
  auto v6 = *IpAddress::parse("::a01:1");  // same low bytes, other family
  EXPECT_LT(a, b);
  EXPECT_NE(a, v6);
  std::unordered_set<IpAddress> s{a, b, v6, a};
  EXPECT_EQ(s.size(), 3u);
}

TEST(Prefix, ContainsAndCanonical) {
  auto p = *Prefix::parse("10.1.0.0/24");
  EXPECT_TRUE(p.contains(*IpAddress::parse("10.1.0.200")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("10.1.1.1")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("::1")));
  EXPECT_EQ(Prefix::parse("10.1.0.77/24")->canonical().str(), "10.1.0.0/24");
  EXPECT_TRUE(Prefix::parse("10.1.0.77/24")->hasHostBits());
  EXPECT_EQ(Prefix::parse("2001:db8:1::5/64")->canonical().str(), "2001:db8:1::/64");
  EXPECT_TRUE(Prefix::parse("2001:db8::/32")->contains(*Prefix::parse("2001:db8:1::/64")));
  EXPECT_FALSE(Prefix::parse("2001:db8:1::/64")->contains(*Prefix::parse("2001:db8::/32")));
  EXPECT_EQ(Prefix::parse("10.1.0.0/24")->broadcast().str(), "10.1.0.255");
  EXPECT_EQ(Prefix::parse("0.0.0.0/0")->canonical().str(), "0.0.0.0/0");
  EXPECT_TRUE(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("1.2.3.4")));
  EXPECT_TRUE(Prefix::parse("10.1.0.11")->isHost());
  EXPECT_FALSE(Prefix::parse("10.1.0.0/33"));
  EXPECT_FALSE(Prefix::parse("10.1.0.0/"));
  EXPECT_FALSE(Prefix::parse("10.1.0.0/2x"));
}

TEST(MacAddress, ParsesAndFormats) {
  auto m = *MacAddress::parse("00:00:5E:00:01:0a");
  EXPECT_EQ(m.str(), "00:00:5e:00:01:0a");
  EXPECT_FALSE(m.isMulticast());
  EXPECT_TRUE(MacAddress::parse("33:33:00:00:00:12")->isMulticast());
  EXPECT_TRUE(MacAddress::parse("ff:ff:ff:ff:ff:ff")->isBroadcast());
  EXPECT_TRUE(MacAddress().isZero());
  EXPECT_FALSE(MacAddress::parse("00:00:5e:00:01"));
  EXPECT_FALSE(MacAddress::parse("00-00-5e-00-01-0a"));
  EXPECT_FALSE(MacAddress::parse("0g:00:5e:00:01:0a"));
}

}  // namespace
}  // namespace hr
