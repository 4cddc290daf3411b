// The core driven by the streams recorded from the real zebra 8.4.4
// (tests/unit/fpm/data/capture_zebra_frames.py): NHG mode and inline mode end in the same
// data path, the replay's group-before-member order resolves, and switching modes (a
// reconnect and a full replay in the other encoding) changes nothing in the data path.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/codec/fpm.h"
#include "fib_test_util.h"

namespace hr::fpm_client::test {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> readCapture(const std::string& name) {
  std::ifstream f(std::string(HR_SOURCE_DIR) + "/tests/unit/fpm/data/" + name, std::ios::binary);
  EXPECT_TRUE(f.good()) << name;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct Replayer {
  TimePoint now = TimePoint{} + 100s;
  FibCore core;
  FakeDataplane dp;

  Replayer() {
    core.setLinks(torLinks());  // the ToR of the capture: lo=1, swp1=2, swp2=3
  }
  void drain() {
    for (;;) {
      auto ops = core.takeOps(1000, now);
      if (ops.empty()) {
        return;
      }
      core.onResults(dp.apply(ops), now);
    }
  }
  void feed(const std::string& name) {
    codec::fpm::FrameReader r;
    ASSERT_TRUE(r.append(readCapture(name)));
    for (;;) {
      auto f = r.next();
      ASSERT_TRUE(f);
      if (!*f) {
        break;
      }
      ASSERT_TRUE(core.onFrame(**f, now));
      drain();
    }
  }
  void session(const std::string& name) {
    KernelSnapshot snap;
    snap.valid = true;
    core.sessionUp(now, snap);
    feed(name);
    now += 400ms;
    core.tick(now);
    drain();
    ASSERT_EQ(core.session(), FibCore::Session::Synced);
  }
  std::map<std::string, std::string> fib() const {
    std::map<std::string, std::string> out;
    for (const auto& [k, s] : dp.fib) {
      out[k.str()] = s.str();
    }
    return out;
  }
};

TEST(ZebraCaptureCore, BothModesEndInTheSameDataPath) {
  Replayer nhg;
  nhg.session("nhg_replay.bin");
  EXPECT_EQ(nhg.core.mirror().heldCount(), 0u);  // group 29 before member 30: resolved
  nhg.feed("nhg_live.bin");
  Replayer inl;
  inl.session("inline_replay.bin");
  inl.feed("inline_live.bin");
  EXPECT_EQ(nhg.fib(), inl.fib());
  EXPECT_GE(nhg.fib().size(), 19u);
  EXPECT_EQ(nhg.fib().at("192.0.2.0/24"), "via 10.0.1.1 dev swp1, via 10.0.2.1 dev swp2 proto bgp");
  EXPECT_EQ(nhg.fib().at("203.0.113.128/25"), "blackhole proto static");
  // Live updates came as DEL+NEW pairs: applied as replaces, never as deletes, except the
  // one real withdrawal (198.51.100.0/24).
  EXPECT_EQ(nhg.dp.deletes(), 1u);
  EXPECT_EQ(inl.dp.deletes(), 1u);
  EXPECT_EQ(nhg.core.mirror().stats().replacePairs, 2u);
}

TEST(ZebraCaptureCore, ModeSwitchReplayChangesNothing) {
  Replayer r;
  r.session("nhg_replay.bin");
  r.feed("nhg_live.bin");
  auto before = r.fib();
  size_t ops = r.dp.log.size();
  // `no fpm use-next-hop-groups`: zebra reconnects and replays inline.
  r.core.sessionDown(r.now);
  r.now += 3s;
  r.session("inline_replay.bin");
  EXPECT_EQ(r.dp.log.size(), ops) << "a replay in the other encoding touched the data path";
  EXPECT_EQ(r.fib(), before);
}

}  // namespace
}  // namespace hr::fpm_client::test
