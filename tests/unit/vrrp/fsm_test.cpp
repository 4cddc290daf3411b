// The RFC 5798 state machine, driven by scripted events with an injected clock.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "vrrp_anycast/vrrp_fsm.h"

namespace hr::vrrp {
namespace {

using std::chrono::milliseconds;

const TimePoint T0{};

IpAddress ip(const char* s) {
  return IpAddress::parse(s).value();
}

FsmParams params(uint8_t prio, const char* primary = "10.1.0.2", bool preempt = true) {
  FsmParams p;
  p.vrid = 10;
  p.priority = prio;
  p.adverIntCs = 100;
  p.preempt = preempt;
  p.primary = ip(primary);
  return p;
}

ReceivedAdvert adv(uint8_t prio, const char* src = "10.1.0.3", uint16_t cs = 100) {
  return ReceivedAdvert{ip(src), prio, cs};
}

TEST(Timers, MatchFrrAndKeepalived) {
  // shared/VRRP.md §1.5: p=200 -> 210 ms / 3210 ms; p=100 -> 600 ms / 3600 ms at 1 s.
  Fsm a(params(200));
  a.startup(T0);
  EXPECT_EQ(a.skewTime(), milliseconds(210));
  EXPECT_EQ(a.masterDownInterval(), milliseconds(3210));
  Fsm b(params(100));
  b.startup(T0);
  EXPECT_EQ(b.skewTime(), milliseconds(600));
  EXPECT_EQ(b.masterDownInterval(), milliseconds(3600));
}

TEST(Lifecycle, StartsBackupAndBecomesMasterAfterMasterDownInterval) {
  Fsm f(params(200));
  auto o = f.startup(T0);
  EXPECT_TRUE(o.stateChanged);
  EXPECT_EQ(f.state(), State::Backup);
  EXPECT_FALSE(o.advertise);  // a non-owner sends nothing on start-up
  EXPECT_EQ(f.nextDeadline(), T0 + milliseconds(3210));

  o = f.timers(T0 + milliseconds(3209));
  EXPECT_EQ(f.state(), State::Backup);
  o = f.timers(T0 + milliseconds(3210));
  EXPECT_EQ(f.state(), State::Master);
  EXPECT_EQ(o.advertise, 200);
  EXPECT_TRUE(o.announce);
  EXPECT_EQ(f.lastTransition().reason, Reason::MasterDown);
  EXPECT_EQ(f.stats().masterTransitions, 1u);
  EXPECT_EQ(f.nextDeadline(), T0 + milliseconds(4210));

  o = f.timers(T0 + milliseconds(4210));
  EXPECT_EQ(o.advertise, 200);
  EXPECT_FALSE(o.announce);
  EXPECT_EQ(f.stats().advertisementSent, 2u);
}

TEST(Lifecycle, ShutdownOfAMasterSendsPriorityZero) {
  Fsm f(params(200));
  f.startup(T0);
  f.timers(T0 + milliseconds(3210));
  auto o = f.shutdown(T0 + milliseconds(5000));
  EXPECT_EQ(o.advertise, 0);
  EXPECT_EQ(f.state(), State::Initialize);
  EXPECT_FALSE(f.nextDeadline());
  EXPECT_EQ(f.stats().priorityZeroSent, 1u);
  // A backup leaves quietly.
  Fsm b(params(100));
  b.startup(T0);
  EXPECT_FALSE(b.shutdown(T0).advertise);
}

// RFC 5798 §6.4.2 / §6.4.3 decision table for one received advertisement.
struct Case {
  const char* name;
  State start;
  uint8_t local;
  bool preempt;
  uint8_t received;
  const char* src;
  State end;
  bool advertises;
  // deadline after the event, relative to the event (ms), -1 = master timer
  int64_t downIn;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class AdvertTable : public ::testing::TestWithParam<Case> {};

TEST_P(AdvertTable, Decision) {
  const Case& c = GetParam();
  Fsm f(params(c.local, "10.1.0.2", c.preempt));
  f.startup(T0);
  TimePoint now = T0 + milliseconds(100);
  if (c.start == State::Master) {
    f.timers(T0 + milliseconds(10000));
    now = T0 + milliseconds(10100);
    ASSERT_EQ(f.state(), State::Master);
  }
  auto before = f.masterDownDeadline();
  auto o = f.advert(adv(c.received, c.src), now);
  EXPECT_EQ(f.state(), c.end) << c.name;
  EXPECT_EQ(o.advertise.has_value(), c.advertises) << c.name;
  if (c.downIn >= 0) {
    ASSERT_TRUE(f.masterDownDeadline()) << c.name;
    EXPECT_EQ(*f.masterDownDeadline(), now + milliseconds(c.downIn)) << c.name;
  } else if (c.downIn == -2) {
    EXPECT_EQ(f.masterDownDeadline(), before) << c.name << ": discarded, timer untouched";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5798,
    AdvertTable,
    ::testing::Values(
        // Backup
        Case{
            "backup hears higher",
            State::Backup,
            100,
            true,
            200,
            "10.1.0.3",
            State::Backup,
            false,
            3600},
        Case{
            "backup hears equal",
            State::Backup,
            100,
            true,
            100,
            "10.1.0.3",
            State::Backup,
            false,
            3600},
        Case{
            "backup preempts lower: discard",
            State::Backup,
            200,
            true,
            100,
            "10.1.0.3",
            State::Backup,
            false,
            -2},
        Case{
            "backup without preempt accepts lower",
            State::Backup,
            200,
            false,
            100,
            "10.1.0.3",
            State::Backup,
            false,
            3210},
        Case{
            "backup hears priority 0: skew time",
            State::Backup,
            100,
            true,
            0,
            "10.1.0.3",
            State::Backup,
            false,
            600},
        // Master
        Case{
            "master hears higher: backup",
            State::Master,
            100,
            true,
            200,
            "10.1.0.3",
            State::Backup,
            false,
            3600},
        Case{
            "master hears equal from higher address: backup",
            State::Master,
            100,
            true,
            100,
            "10.1.0.3",
            State::Backup,
            false,
            3600},
        Case{
            "master hears equal from lower address: stays",
            State::Master,
            100,
            true,
            100,
            "10.1.0.1",
            State::Master,
            false,
            -1},
        Case{
            "master hears lower: stays",
            State::Master,
            200,
            true,
            100,
            "10.1.0.3",
            State::Master,
            false,
            -1},
        Case{
            "master hears priority 0: advertises at once",
            State::Master,
            200,
            true,
            0,
            "10.1.0.3",
            State::Master,
            true,
            -1}),
    [](const ::testing::TestParamInfo<Case>& i) {
      std::string n;
      for (char c : std::string(i.param.name))
        n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      return n;
    });

TEST(Backup, LearnsTheMastersIntervalAndKnowsAMaster) {
  Fsm f(params(100));
  f.startup(T0);
  EXPECT_FALSE(f.masterKnown());
  f.advert(adv(200, "10.1.0.3", 50), T0);
  EXPECT_TRUE(f.masterKnown());
  EXPECT_EQ(f.masterAdverIntCs(), 50);
  // 3 x 500 ms + (156 x 50 / 256 = 30 cs)
  EXPECT_EQ(f.masterDownInterval(), milliseconds(1800));
  ASSERT_TRUE(f.master());
  EXPECT_EQ(f.master()->address, ip("10.1.0.3"));
  f.advert(adv(0, "10.1.0.3"), T0 + milliseconds(10));
  EXPECT_FALSE(f.masterKnown());  // it is leaving
}

TEST(Backup, PreemptionTakesOverAfterMasterDownInterval) {
  Fsm f(params(200));
  f.startup(T0);
  TimePoint t = T0;
  // A lower-priority master keeps advertising; we discard and take over on the timer.
  for (int i = 0; i < 3; ++i) {
    t += milliseconds(1000);
    f.advert(adv(100), t);
    f.timers(t);
  }
  EXPECT_EQ(f.state(), State::Backup);
  f.timers(T0 + milliseconds(3210));
  EXPECT_EQ(f.state(), State::Master);
}

TEST(Tracking, PriorityChangeOfAMasterIsAdvertisedAtOnce) {
  Fsm f(params(200));
  f.startup(T0);
  f.timers(T0 + milliseconds(3210));
  auto o = f.setPriority(50, T0 + milliseconds(3500));
  EXPECT_EQ(o.advertise, 50);
  EXPECT_EQ(f.adverDeadline(), T0 + milliseconds(4500));
  EXPECT_FALSE(f.setPriority(50, T0 + milliseconds(3600)).advertise);  // unchanged
  EXPECT_EQ(f.setPriority(0, T0).advertise, 1);                        // clamped, never 0
}

TEST(Tracking, ReleaseHandsOverWithPriorityZeroAndComesBackIfAlone) {
  Fsm f(params(200));
  f.startup(T0);
  f.timers(T0 + milliseconds(3210));
  TimePoint t = T0 + milliseconds(5000);
  auto o = f.release(t);
  EXPECT_EQ(o.advertise, 0);
  EXPECT_TRUE(o.stateChanged);
  EXPECT_EQ(f.state(), State::Backup);
  EXPECT_EQ(f.lastTransition().reason, Reason::Release);
  EXPECT_FALSE(f.masterKnown());
  // Nobody took over: master again after a full Master_Down_Interval.
  f.timers(t + milliseconds(3209));
  EXPECT_EQ(f.state(), State::Backup);
  f.timers(t + milliseconds(3210));
  EXPECT_EQ(f.state(), State::Master);
  // A backup has nothing to release.
  Fsm b(params(100));
  b.startup(T0);
  EXPECT_FALSE(b.release(T0).stateChanged);
}

TEST(Refresh, PeriodicAnnouncementsWhileMaster) {
  FsmParams p = params(200);
  p.refreshSeconds = 10;
  Fsm f(p);
  f.startup(T0);
  TimePoint m = T0 + milliseconds(3210);
  EXPECT_TRUE(f.timers(m).announce);
  int announces = 0;
  for (int ms = 3310; ms <= 3210 + 25000; ms += 100) {
    announces += f.timers(T0 + milliseconds(ms)).announce ? 1 : 0;
  }
  EXPECT_EQ(announces, 2);  // +10 s, +20 s
}

TEST(Version2, SkewIgnoresTheInterval) {
  FsmParams p = params(100);
  p.version = 2;
  p.adverIntCs = 300;
  Fsm f(p);
  f.startup(T0);
  EXPECT_EQ(f.skewTime(), milliseconds(600));
  EXPECT_EQ(f.masterDownInterval(), milliseconds(9600));
}

TEST(Initialize, IgnoresAdvertsAndTimers) {
  Fsm f(params(100));
  auto o = f.advert(adv(200), T0);
  EXPECT_FALSE(o.stateChanged);
  EXPECT_EQ(f.stats().advertisementRcvd, 0u);
  EXPECT_FALSE(f.timers(T0 + milliseconds(100000)).advertise);
  EXPECT_EQ(f.state(), State::Initialize);
}

}  // namespace
}  // namespace hr::vrrp
