// The RFC 5798 state machine, driven by scripted events with an injected clock.
#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
      for (char c : std::string(i.param.name)) {
        n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
      }
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

// --- withdrawal by tracking (Fsm::setWithdrawn) ------------------------------------------

// A segment of routers that hear each other at once: every advertisement one sends reaches
// all the others at the same instant. Time moves in 10 ms steps.
class Segment {
 public:
  Fsm& add(uint8_t prio, const char* primary, bool preempt = true) {
    fsms_.push_back(std::make_unique<Fsm>(params(prio, primary, preempt)));
    primaries_.push_back(primary);
    return *fsms_.back();
  }
  void startup(TimePoint t) {
    for (auto& f : fsms_) {
      f->startup(t);
    }
  }
  // Delivers what `from` sent (if anything) to every other router, and their replies.
  void deliver(size_t from, const Output& o, TimePoint t) {
    if (!o.advertise) {
      return;
    }
    ++sent_;
    for (size_t i = 0; i < fsms_.size(); ++i) {
      if (i != from) {
        deliver(i, fsms_[i]->advert(adv(*o.advertise, primaries_[from]), t), t);
      }
    }
  }
  // Runs until `until`, calling `check` after every step.
  template <class Check>
  void run(TimePoint from, TimePoint until, Check check) {
    for (TimePoint t = from; t <= until; t += milliseconds(10)) {
      for (size_t i = 0; i < fsms_.size(); ++i) {
        deliver(i, fsms_[i]->timers(t), t);
      }
      check(t);
    }
  }
  int masters() const {
    int n = 0;
    for (const auto& f : fsms_) {
      n += f->state() == State::Master ? 1 : 0;
    }
    return n;
  }
  uint64_t sent() const {
    return sent_;
  }

 private:
  std::vector<std::unique_ptr<Fsm>> fsms_;
  std::vector<const char*> primaries_;
  uint64_t sent_ = 0;
};

TEST(Withdrawn, MasterHandsOverWithPriorityZero) {
  Fsm f(params(190));
  f.startup(T0);
  f.timers(T0 + milliseconds(3250));
  ASSERT_EQ(f.state(), State::Master);
  TimePoint t = T0 + milliseconds(5000);
  auto o = f.setWithdrawn(true, t);
  EXPECT_EQ(o.advertise, 0);
  EXPECT_TRUE(o.stateChanged);
  EXPECT_EQ(f.state(), State::Backup);
  EXPECT_EQ(f.lastTransition().reason, Reason::Release);
  EXPECT_TRUE(f.withdrawn());
  EXPECT_EQ(f.electionPriority(), kWithdrawnPriority);
  EXPECT_EQ(f.params().priority, 190);  // the tracked priority is kept for the return
  EXPECT_FALSE(f.masterKnown());
  // Master_Down_Interval as priority 1: 3 s + 255/256 s = 3990 ms.
  EXPECT_EQ(f.masterDownDeadline(), t + milliseconds(3990));
  EXPECT_FALSE(f.setWithdrawn(true, t).advertise);  // idempotent
}

// The bug this design fixes: withdrawn at 190 (the YANG default decrement 10 from 200), the
// ToR used to discard the new master's lower priority (preemption) and take mastership back
// one Master_Down_Interval later, with its virtual MAC down.
TEST(Withdrawn, NeverMasterAgainWhileAnEligibleRouterIsMaster) {
  for (bool preempt : {true, false}) {
    Segment seg;
    Fsm& tor1 = seg.add(200, "10.1.0.2", preempt);
    Fsm& tor2 = seg.add(100, "10.1.0.3", preempt);
    seg.startup(T0);
    seg.run(T0, T0 + milliseconds(5000), [](TimePoint) {});
    ASSERT_EQ(tor1.state(), State::Master);
    ASSERT_EQ(tor2.state(), State::Backup);
    TimePoint t = T0 + milliseconds(5005);
    seg.deliver(0, tor1.setPriority(190, t), t);
    seg.deliver(0, tor1.setWithdrawn(true, t), t);
    uint64_t sentBefore = seg.sent();
    uint64_t tor1Transitions = tor1.stats().masterTransitions;
    std::optional<TimePoint> tor2Master;
    seg.run(t, t + milliseconds(60000), [&](TimePoint now) {
      ASSERT_NE(tor1.state(), State::Master) << "withdrawn tor1 master again, preempt " << preempt;
      if (!tor2Master && tor2.state() == State::Master) {
        tor2Master = now;
      }
    });
    // tor2 took over after its skew time (priority 0 received): 600 ms.
    ASSERT_TRUE(tor2Master);
    EXPECT_EQ(*tor2Master - t, milliseconds(600));
    EXPECT_EQ(tor2.state(), State::Master);
    EXPECT_EQ(tor1.stats().masterTransitions, tor1Transitions);
    EXPECT_TRUE(tor1.masterKnown());
    EXPECT_GE(seg.sent() - sentBefore, 59u);  // the run carried tor2's advertisements
    ASSERT_TRUE(tor1.master());
    EXPECT_EQ(tor1.master()->priority, 100);
  }
}

TEST(Withdrawn, RestoredRouterPreemptsAgain) {
  Segment seg;
  Fsm& tor1 = seg.add(200, "10.1.0.2");
  Fsm& tor2 = seg.add(100, "10.1.0.3");
  seg.startup(T0);
  seg.run(T0, T0 + milliseconds(5000), [](TimePoint) {});
  TimePoint t = T0 + milliseconds(5005);
  seg.deliver(0, tor1.setWithdrawn(true, t), t);
  seg.run(t, t + milliseconds(10000), [](TimePoint) {});
  ASSERT_EQ(tor2.state(), State::Master);
  t += milliseconds(10005);
  EXPECT_FALSE(tor1.setWithdrawn(false, t).advertise);  // a backup stays silent
  std::optional<TimePoint> back;
  seg.run(t, t + milliseconds(10000), [&](TimePoint now) {
    EXPECT_LE(seg.masters(), 1);
    if (!back && tor1.state() == State::Master) {
      back = now;
    }
  });
  // Preemption: master again Master_Down_Interval (3210 ms at 200) after tor2's last
  // advertisement before it, tor2 back to backup.
  ASSERT_TRUE(back);
  EXPECT_LE(*back - t, milliseconds(3210));
  EXPECT_EQ(tor2.state(), State::Backup);
}

TEST(Withdrawn, LastResortWhenNoOtherRouterServes) {
  Fsm f(params(190));
  f.startup(T0);
  auto o = f.setWithdrawn(true, T0 + milliseconds(100));
  EXPECT_FALSE(o.advertise);
  EXPECT_EQ(f.state(), State::Backup);
  // Startup armed Master_Down for priority 190 (3250 ms); withdrawn it is 3990 ms.
  EXPECT_EQ(f.masterDownDeadline(), T0 + milliseconds(3990));
  f.timers(T0 + milliseconds(3989));
  EXPECT_EQ(f.state(), State::Backup);
  o = f.timers(T0 + milliseconds(3990));
  EXPECT_EQ(f.state(), State::Master);
  EXPECT_EQ(o.advertise, kWithdrawnPriority);
  EXPECT_TRUE(o.announce);  // it serves the gateway: hosts are told where it is
  EXPECT_EQ(f.timers(T0 + milliseconds(4990)).advertise, kWithdrawnPriority);
  ASSERT_TRUE(f.master());
  EXPECT_EQ(f.master()->priority, kWithdrawnPriority);
  // Restored while last-resort master: the real priority, at once.
  o = f.setWithdrawn(false, T0 + milliseconds(5000));
  EXPECT_EQ(o.advertise, 190);
  EXPECT_EQ(f.state(), State::Master);
  EXPECT_EQ(f.adverDeadline(), T0 + milliseconds(6000));
}

TEST(Withdrawn, LastResortMasterYieldsToEveryEligibleRouter) {
  auto lastResort = [] {
    auto f = std::make_unique<Fsm>(params(200));
    f->startup(T0);
    f->setWithdrawn(true, T0);
    f->timers(T0 + milliseconds(3990));
    return f;
  };
  auto f = lastResort();
  ASSERT_EQ(f->state(), State::Master);
  f->advert(adv(2), T0 + milliseconds(4000));
  EXPECT_EQ(f->state(), State::Backup) << "priority 2 beats a last-resort master";
  f = lastResort();
  f->advert(adv(1, "10.1.0.3"), T0 + milliseconds(4000));
  EXPECT_EQ(f->state(), State::Backup) << "another last resort with a higher address";
  f = lastResort();
  f->advert(adv(1, "10.1.0.1"), T0 + milliseconds(4000));
  EXPECT_EQ(f->state(), State::Master) << "another last resort with a lower address";
  // Tracking changes of a withdrawn master are not advertised: it competes with 1.
  EXPECT_FALSE(f->setPriority(150, T0 + milliseconds(4100)).advertise);
  FsmParams p = params(120);
  EXPECT_FALSE(f->setParams(p, T0 + milliseconds(4200)).advertise);
  EXPECT_EQ(f->electionPriority(), kWithdrawnPriority);
}

TEST(Withdrawn, EligibleBackupTakesOverALastResortMasterEvenWithoutPreemption) {
  Fsm f(params(100, "10.1.0.2", /*preempt=*/false));
  f.startup(T0);
  TimePoint t = T0;
  for (int i = 0; i < 3; ++i) {
    t += milliseconds(1000);
    f.advert(adv(1), t);  // a last-resort master
    f.timers(t);
  }
  EXPECT_EQ(f.state(), State::Backup);
  EXPECT_TRUE(f.masterKnown());
  f.timers(T0 + milliseconds(3600));
  EXPECT_EQ(f.state(), State::Master);
  // For contrast, RFC 5798 without preemption: a master of priority 2 is kept.
  Fsm g(params(100, "10.1.0.2", /*preempt=*/false));
  g.startup(T0);
  for (int ms = 1000; ms <= 10000; ms += 1000) {
    g.advert(adv(2), T0 + milliseconds(ms));
    g.timers(T0 + milliseconds(ms));
  }
  EXPECT_EQ(g.state(), State::Backup);
}

TEST(Withdrawn, WithdrawnBackupLosesTheRaceToEveryEligibleBackup) {
  // A master leaves (priority 0): the eligible backup (priority 10, the lowest sensible)
  // takes over before the withdrawn one (configured 250), then the withdrawn one hears it.
  Segment seg;
  Fsm& master = seg.add(254, "10.1.0.4");
  Fsm& withdrawn = seg.add(250, "10.1.0.2");
  Fsm& eligible = seg.add(10, "10.1.0.3");
  seg.startup(T0);
  seg.run(T0, T0 + milliseconds(5000), [](TimePoint) {});
  ASSERT_EQ(master.state(), State::Master);
  TimePoint t = T0 + milliseconds(5005);
  withdrawn.setWithdrawn(true, t);
  seg.deliver(0, master.shutdown(t), t);
  seg.run(t, t + milliseconds(20000), [&](TimePoint) {
    ASSERT_NE(withdrawn.state(), State::Master);
    ASSERT_LE(seg.masters(), 1);
  });
  EXPECT_EQ(eligible.state(), State::Master);
  // Also when the master just falls silent (Master_Down timers armed with the old skew).
  Segment seg2;
  Fsm& m2 = seg2.add(254, "10.1.0.4");
  Fsm& w2 = seg2.add(250, "10.1.0.2");
  Fsm& e2 = seg2.add(10, "10.1.0.3");
  seg2.startup(T0);
  seg2.run(T0, T0 + milliseconds(5000), [](TimePoint) {});
  w2.setWithdrawn(true, T0 + milliseconds(5005));
  m2.shutdown(T0 + milliseconds(5005));  // silent: its priority 0 is lost
  seg2.run(T0 + milliseconds(5005), T0 + milliseconds(20000), [&](TimePoint) {
    ASSERT_NE(w2.state(), State::Master);
  });
  EXPECT_EQ(e2.state(), State::Master);
}

TEST(Withdrawn, EveryRouterWithdrawnLeavesExactlyOneLastResortMaster) {
  // Hosts must keep a gateway: every ToR lost its uplinks at once.
  Segment seg;
  Fsm& tor1 = seg.add(200, "10.1.0.2");
  Fsm& tor2 = seg.add(100, "10.1.0.3");
  seg.startup(T0);
  seg.run(T0, T0 + milliseconds(5000), [](TimePoint) {});
  TimePoint t = T0 + milliseconds(5005);
  seg.deliver(0, tor1.setWithdrawn(true, t), t);
  seg.deliver(1, tor2.setWithdrawn(true, t), t);
  std::optional<TimePoint> served;
  seg.run(t, t + milliseconds(30000), [&](TimePoint now) {
    ASSERT_LE(seg.masters(), 1);
    if (!served && seg.masters() == 1) {
      served = now;
    }
  });
  ASSERT_TRUE(served);
  // The priority 0 from tor1 started tor2's timer at the skew time of priority 1: 990 ms.
  EXPECT_EQ(*served - t, milliseconds(990));
  EXPECT_EQ(tor2.state(), State::Master);
  EXPECT_EQ(tor1.state(), State::Backup);
  EXPECT_TRUE(tor1.masterKnown());
  // tor1's uplinks come back: it preempts the last-resort master.
  t += milliseconds(30005);
  tor1.setWithdrawn(false, t);
  seg.run(t, t + milliseconds(10000), [&](TimePoint) { ASSERT_LE(seg.masters(), 1); });
  EXPECT_EQ(tor1.state(), State::Master);
  EXPECT_EQ(tor2.state(), State::Backup);
}

TEST(Withdrawn, StartupWhileWithdrawnWaitsAsTheLeastEligible) {
  Fsm f(params(200));
  f.setWithdrawn(true, T0);
  EXPECT_EQ(f.state(), State::Initialize);
  f.startup(T0);
  EXPECT_EQ(f.masterDownDeadline(), T0 + milliseconds(3990));
  f.advert(adv(50), T0 + milliseconds(1000));  // a lower master: accepted, no preemption
  EXPECT_EQ(f.masterDownDeadline(), T0 + milliseconds(1000 + 3990));
  EXPECT_TRUE(f.masterKnown());
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
