#include "core/codec/bytes.h"

#include <gtest/gtest.h>

namespace hr::codec {
namespace {

TEST(ByteReader, ReadsBothOrders) {
  const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  ByteReader r(b);
  EXPECT_EQ(r.u16be(), 0x0102);
  EXPECT_EQ(r.u16le(), 0x0403);
  EXPECT_EQ(r.u32be(), 0x05060708u);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.atEnd());
}

TEST(ByteReader, PastTheEndFailsAndStaysFailed) {
  const uint8_t b[] = {0x01, 0x02, 0x03};
  ByteReader r(b);
  EXPECT_EQ(r.u32be(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.u8(), 0);  // sticky: nothing more is read
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReader, SubReaderIsBounded) {
  const uint8_t b[] = {0xaa, 0xbb, 0xcc, 0xdd};
  ByteReader r(b);
  auto s = r.sub(2);
  EXPECT_EQ(s.u16be(), 0xaabb);
  EXPECT_EQ(s.u8(), 0);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.u16be(), 0xccdd);
  auto tooLong = r.sub(1);
  EXPECT_FALSE(tooLong.ok());
  EXPECT_FALSE(r.ok());
}

TEST(ByteWriter, RoundTrips) {
  std::vector<uint8_t> out;
  ByteWriter w(out);
  w.u8(1);
  w.u16be(0x0203);
  w.u32le(0x07060504);
  w.u64be(0x08090a0b0c0d0e0fULL);
  w.patchU16be(1, 0xbeef);
  ByteReader r(out);
  EXPECT_EQ(r.u8(), 1);
  EXPECT_EQ(r.u16be(), 0xbeef);
  EXPECT_EQ(r.u32le(), 0x07060504u);
  EXPECT_EQ(r.u64be(), 0x08090a0b0c0d0e0fULL);
  EXPECT_TRUE(r.atEnd());
}

TEST(InetChecksum, Rfc1071Example) {
  // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 -> checksum 0x220d.
  const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  InetChecksum c;
  c.add(b);
  EXPECT_EQ(c.finish(), 0x220d);
  // Split across odd boundaries gives the same result.
  InetChecksum d;
  d.add(std::span<const uint8_t>(b, 3));
  d.add(std::span<const uint8_t>(b + 3, 5));
  EXPECT_EQ(d.finish(), 0x220d);
}

}  // namespace
}  // namespace hr::codec
