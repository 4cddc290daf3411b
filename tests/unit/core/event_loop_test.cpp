#include "core/event_loop.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace hr {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<EventLoop> makeLoop() {
  auto l = EventLoop::create();
  EXPECT_TRUE(l) << l.error().message;
  return std::move(*l);
}

// Runs the loop until `done` or the deadline; returns whether done.
bool runUntil(EventLoop& loop, const std::function<bool()>& done, Duration limit = 5s) {
  auto deadline = SteadyClock::now() + limit;
  while (!done() && SteadyClock::now() < deadline) {
    loop.runOnce(10ms);
  }
  return done();
}

TEST(EventLoop, TimersFireInDeadlineOrder) {
  auto loop = makeLoop();
  std::vector<int> order;
  Timer a(*loop, [&] { order.push_back(1); });
  Timer b(*loop, [&] { order.push_back(2); });
  Timer c(*loop, [&] { order.push_back(3); });
  c.arm(30ms);
  a.arm(10ms);
  b.arm(20ms);
  ASSERT_TRUE(runUntil(*loop, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(a.armed());
}

TEST(EventLoop, CancelledAndDestroyedTimersDoNotFire) {
  auto loop = makeLoop();
  int fired = 0;
  bool sentinel = false;
  Timer a(*loop, [&] { ++fired; });
  a.arm(5ms);
  a.cancel();
  {
    Timer gone(*loop, [&] { ++fired; });
    gone.arm(5ms);
  }
  Timer s(*loop, [&] { sentinel = true; });
  s.arm(30ms);
  ASSERT_TRUE(runUntil(*loop, [&] { return sentinel; }));
  EXPECT_EQ(fired, 0);
}

TEST(EventLoop, RearmReplacesDeadlineAndCallbackMayRearm) {
  auto loop = makeLoop();
  int fired = 0;
  Timer t(*loop, [&] {
    if (++fired < 3) {
      t.arm(1ms);
    }
  });
  t.arm(1h);
  t.arm(1ms);  // replaces the hour
  ASSERT_TRUE(runUntil(*loop, [&] { return fired == 3; }));
  EXPECT_FALSE(t.armed());
}

TEST(EventLoop, FdCallbacksAndRemovalFromInsideCallback) {
  auto loop = makeLoop();
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  Fd a(sv[0]), b(sv[1]);
  int reads = 0;
  ASSERT_TRUE(loop->addFd(a.get(), EPOLLIN, [&](uint32_t) {
    char buf[16];
    while (::read(a.get(), buf, sizeof(buf)) > 0) {
    }
    ++reads;
    loop->removeFd(a.get());
  }));
  EXPECT_FALSE(loop->addFd(a.get(), EPOLLIN, [](uint32_t) {}));  // already watched
  ASSERT_EQ(::write(b.get(), "x", 1), 1);
  ASSERT_TRUE(runUntil(*loop, [&] { return reads == 1; }));
  ASSERT_EQ(::write(b.get(), "y", 1), 1);
  loop->runOnce(20ms);
  EXPECT_EQ(reads, 1);  // removed: no second callback
}

TEST(EventLoop, DeferRunsAfterTheRound) {
  auto loop = makeLoop();
  std::vector<int> order;
  loop->defer([&] {
    order.push_back(1);
    loop->defer([&] { order.push_back(2); });
  });
  loop->runOnce(0ms);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(EventLoop, SignalsArriveThroughTheLoop) {
  auto loop = makeLoop();
  bool got = false;
  ASSERT_TRUE(loop->onSignal(SIGUSR2, [&] { got = true; }));
  ::kill(::getpid(), SIGUSR2);
  ASSERT_TRUE(runUntil(*loop, [&] { return got; }));
}

TEST(EventLoop, StopEndsRun) {
  auto loop = makeLoop();
  Timer t(*loop, [&] { loop->stop(); });
  t.arm(5ms);
  loop->run();
  EXPECT_FALSE(loop->running());
}

TEST(Backoff, DoublesToCapAndResets) {
  Backoff b(100ms, 1s);
  EXPECT_EQ(b.next(), Duration(100ms));
  EXPECT_EQ(b.next(), Duration(200ms));
  EXPECT_EQ(b.next(), Duration(400ms));
  EXPECT_EQ(b.next(), Duration(800ms));
  EXPECT_EQ(b.next(), Duration(1s));
  EXPECT_EQ(b.next(), Duration(1s));
  b.reset();
  EXPECT_EQ(b.next(), Duration(100ms));
}

}  // namespace
}  // namespace hr
