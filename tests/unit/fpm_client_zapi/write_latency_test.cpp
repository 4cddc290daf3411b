// WriteLatency: first frame seen by the learner -> ROUTE_ADD written to zebra.
#include "fpm_client/write_latency.h"

#include <gtest/gtest.h>

namespace hr::fpm_client {
namespace {

RouteKey key(const char* a) {
  return RouteKey{"", *IpAddress::parse(a)};
}

TEST(WriteLatency, OneSamplePerRouteOnceItsBytesAreWritten) {
  WriteLatency w;
  w.intent(key("10.0.0.1"), 1'000'000);
  w.intent(key("10.0.0.2"), 1'000'100);
  w.queued(key("10.0.0.1"), 40);
  w.queued(key("10.0.0.2"), 80);
  w.endOfRound();
  EXPECT_TRUE(w.written(40, 1'000'300));  // only the first route's bytes are out
  EXPECT_EQ(w.stats().samples, 1u);
  EXPECT_EQ(w.stats().maxUs, 300u);
  EXPECT_FALSE(w.written(60, 1'000'400));
  EXPECT_TRUE(w.written(80, 1'002'100));
  EXPECT_EQ(w.stats().samples, 2u);
  EXPECT_EQ(w.stats().maxUs, 2000u);
  EXPECT_EQ(w.stats().overTarget, 1u);  // 2000 µs > 1 ms
  EXPECT_EQ(w.tracked(), 0u);
}

TEST(WriteLatency, IntentsWithoutAWriteThisRoundAreNotSamples) {
  WriteLatency w;
  w.intent(key("10.0.0.1"), 5);  // e.g. waiting for its interface: no ROUTE_ADD
  w.intent(key("10.0.0.2"), 0);  // no seen time (a resync): never tracked
  w.endOfRound();
  w.queued(key("10.0.0.1"), 40);  // a later round, for another reason
  EXPECT_FALSE(w.written(1000, 100));
  EXPECT_EQ(w.stats().samples, 0u);
  EXPECT_EQ(w.tracked(), 0u);
}

TEST(WriteLatency, WithdrawnBeforeQueuedAndSessionResetDropThePending) {
  WriteLatency w;
  w.intent(key("10.0.0.1"), 5);
  w.withdrawn(key("10.0.0.1"));
  w.queued(key("10.0.0.1"), 40);
  w.intent(key("10.0.0.2"), 5);
  w.queued(key("10.0.0.2"), 80);
  w.reset();  // the session dropped: those bytes never reached zebra
  EXPECT_FALSE(w.written(1000, 100));
  EXPECT_EQ(w.stats().samples, 0u);
}

TEST(WriteLatency, PercentilesOverTheWindow) {
  WriteLatency w;
  for (uint64_t i = 1; i <= 100; ++i) {
    auto k = key(("10.0.1." + std::to_string(i)).c_str());
    w.intent(k, 1'000'000);
    w.queued(k, i);
  }
  w.written(100, 1'000'000 + 0);  // all at once: 0 µs each
  EXPECT_EQ(w.stats().p99Us, 0u);
  WriteLatency v;
  for (uint64_t i = 1; i <= 100; ++i) {
    auto k = key(("10.0.2." + std::to_string(i)).c_str());
    v.intent(k, 1'000'000 - i * 10);  // seen i*10 µs before the write
    v.queued(k, i);
  }
  v.written(100, 1'000'000);
  EXPECT_EQ(v.stats().samples, 100u);
  EXPECT_EQ(v.stats().p50Us, 500u);
  EXPECT_EQ(v.stats().p99Us, 990u);
  EXPECT_EQ(v.stats().maxUs, 1000u);
  EXPECT_EQ(v.stats().overTarget, 0u);
}

}  // namespace
}  // namespace hr::fpm_client
