#include "vrrp_anycast/vrrp_fsm.h"

#include <algorithm>

namespace hr::vrrp {

std::string_view stateName(State s) {
  switch (s) {
    case State::Initialize:
      return "initialize";
    case State::Backup:
      return "backup";
    case State::Master:
      return "master";
  }
  return "?";
}

std::string_view reasonName(Reason r) {
  switch (r) {
    case Reason::None:
      return "none";
    case Reason::Startup:
      return "startup";
    case Reason::MasterDown:
      return "master-down-timer";
    case Reason::HigherPriority:
      return "higher-priority-advertisement";
    case Reason::Shutdown:
      return "shutdown";
    case Reason::Release:
      return "released-by-tracking";
  }
  return "?";
}

Millis Fsm::adverInterval() const {
  return Millis(int64_t{p_.adverIntCs} * 10);
}

Millis Fsm::skewTime() const {
  uint32_t base =
      p_.version == 2 ? 100 : (masterAdverIntCs_ != 0 ? masterAdverIntCs_ : p_.adverIntCs);
  uint32_t cs = ((256u - electionPriority()) * base) / 256u;
  return Millis(int64_t{cs} * 10);
}

Millis Fsm::masterDownInterval() const {
  uint32_t mai = p_.version == 2 ? p_.adverIntCs
                                 : (masterAdverIntCs_ != 0 ? masterAdverIntCs_ : p_.adverIntCs);
  return Millis(int64_t{mai} * 3 * 10) + skewTime();
}

void Fsm::enter(State s, Reason r, TimePoint now) {
  if (s == State::Master && state_ != State::Master) {
    ++stats_.masterTransitions;
  }
  last_ = Transition{state_, s, r, now};
  state_ = s;
}

void Fsm::advertise(uint8_t priority, Output& out) {
  out.advertise = priority;
  ++stats_.advertisementSent;
  if (priority == 0) {
    ++stats_.priorityZeroSent;
  }
}

bool Fsm::preempts(uint8_t received) const {
  if (withdrawn_) {
    return false;
  }
  // A priority-1 master is a withdrawn router serving as the last resort (or a peer as
  // unfit as one): an eligible router takes over from it whatever its preemption setting.
  return p_.preempt || received == kWithdrawnPriority;
}

void Fsm::becomeMaster(Reason r, TimePoint now, Output& out) {
  advertise(electionPriority(), out);
  out.announce = true;
  ++stats_.announcements;
  out.stateChanged = true;
  masterDownAt_.reset();
  adverAt_ = now + adverInterval();
  refreshAt_.reset();
  if (p_.refreshSeconds != 0) {
    refreshAt_ = now + std::chrono::seconds(p_.refreshSeconds);
  }
  masterKnown_ = false;
  master_ = MasterInfo{p_.primary, electionPriority(), p_.adverIntCs, true};
  enter(State::Master, r, now);
}

void Fsm::becomeBackup(const ReceivedAdvert& a, Reason r, TimePoint now) {
  adverAt_.reset();
  refreshAt_.reset();
  masterAdverIntCs_ = a.maxAdverIntCs;
  masterDownAt_ = now + masterDownInterval();
  masterKnown_ = true;
  master_ = MasterInfo{a.src, a.priority, a.maxAdverIntCs, false};
  enter(State::Backup, r, now);
}

Output Fsm::startup(TimePoint now) {
  Output out;
  if (state_ != State::Initialize) {
    return out;
  }
  // RFC 5798 §6.4.1: a non-owner starts as Backup and waits Master_Down_Interval.
  masterAdverIntCs_ = p_.adverIntCs;
  masterDownAt_ = now + masterDownInterval();
  masterKnown_ = false;
  master_.reset();
  enter(State::Backup, Reason::Startup, now);
  out.stateChanged = true;
  return out;
}

Output Fsm::shutdown(TimePoint now) {
  Output out;
  if (state_ == State::Initialize) {
    return out;
  }
  if (state_ == State::Master) {
    advertise(0, out);  // RFC 5798 §6.4.3: peers take over after their skew time
  }
  masterDownAt_.reset();
  adverAt_.reset();
  refreshAt_.reset();
  master_.reset();
  masterKnown_ = false;
  enter(State::Initialize, Reason::Shutdown, now);
  out.stateChanged = true;
  return out;
}

Output Fsm::setWithdrawn(bool withdrawn, TimePoint now) {
  Output out;
  if (withdrawn == withdrawn_) {
    return out;
  }
  Millis oldSkew = skewTime();
  withdrawn_ = withdrawn;
  if (state_ == State::Master) {
    if (withdrawn_) {
      // Hand over at once, as on shutdown (RFC 5798 §6.4.3), but stay in the election as
      // the last resort.
      advertise(0, out);
      adverAt_.reset();
      refreshAt_.reset();
      masterAdverIntCs_ = p_.adverIntCs;
      masterDownAt_ = now + masterDownInterval();
      masterKnown_ = false;
      master_.reset();
      enter(State::Backup, Reason::Release, now);
      out.stateChanged = true;
    } else {
      // A last-resort master is eligible again: its real priority, at once.
      advertise(electionPriority(), out);
      adverAt_ = now + adverInterval();
      master_ = MasterInfo{p_.primary, electionPriority(), p_.adverIntCs, true};
    }
    return out;
  }
  if (state_ == State::Backup && masterDownAt_) {
    // The running Master_Down timer follows the new skew time: a withdrawn backup must
    // lose the race against every eligible one.
    *masterDownAt_ += skewTime() - oldSkew;
  }
  return out;
}

Output Fsm::advert(const ReceivedAdvert& a, TimePoint now) {
  Output out;
  if (state_ == State::Initialize) {
    return out;
  }
  ++stats_.advertisementRcvd;
  if (a.priority == 0) {
    ++stats_.priorityZeroRcvd;
  }
  if (state_ == State::Backup) {
    if (a.priority == 0) {
      // The master is leaving: take over after the skew time only.
      masterDownAt_ = now + skewTime();
      masterKnown_ = false;
      master_.reset();
      return out;
    }
    masterKnown_ = true;
    if (!preempts(a.priority) || a.priority >= electionPriority()) {
      masterAdverIntCs_ = a.maxAdverIntCs;
      masterDownAt_ = now + masterDownInterval();
      master_ = MasterInfo{a.src, a.priority, a.maxAdverIntCs, false};
    } else if (!master_ || master_->address == a.src) {
      // Preempting a lower-priority master: discard, let Master_Down_Timer run out.
      master_ = MasterInfo{a.src, a.priority, a.maxAdverIntCs, false};
    }
    return out;
  }
  // Master.
  if (a.priority == 0) {
    advertise(electionPriority(), out);
    adverAt_ = now + adverInterval();
    return out;
  }
  uint8_t mine = electionPriority();
  if (a.priority > mine || (a.priority == mine && a.src > p_.primary)) {
    becomeBackup(a, Reason::HigherPriority, now);
    out.stateChanged = true;
  }
  return out;
}

Output Fsm::timers(TimePoint now) {
  Output out;
  if (state_ == State::Backup && masterDownAt_ && *masterDownAt_ <= now) {
    becomeMaster(Reason::MasterDown, now, out);
    return out;
  }
  if (state_ == State::Master) {
    if (adverAt_ && *adverAt_ <= now) {
      advertise(electionPriority(), out);
      adverAt_ = now + adverInterval();
    }
    if (refreshAt_ && *refreshAt_ <= now) {
      out.announce = true;
      ++stats_.announcements;
      refreshAt_ = now + std::chrono::seconds(p_.refreshSeconds);
    }
  }
  return out;
}

Output Fsm::setPriority(uint8_t priority, TimePoint now) {
  Output out;
  priority = std::clamp<uint8_t>(priority, 1, 254);
  if (priority == p_.priority) {
    return out;
  }
  uint8_t before = electionPriority();
  p_.priority = priority;
  if (state_ == State::Master && electionPriority() != before) {
    advertise(electionPriority(), out);
    adverAt_ = now + adverInterval();
    master_ = MasterInfo{p_.primary, electionPriority(), p_.adverIntCs, true};
  }
  return out;
}

Output Fsm::setParams(const FsmParams& p, TimePoint now) {
  Output out;
  bool intervalChanged = p.adverIntCs != p_.adverIntCs;
  bool refreshChanged = p.refreshSeconds != p_.refreshSeconds;
  uint8_t before = electionPriority();
  p_ = p;
  if (state_ == State::Master) {
    if (intervalChanged || electionPriority() != before) {
      advertise(electionPriority(), out);
      adverAt_ = now + adverInterval();
    }
    if (refreshChanged) {
      refreshAt_.reset();
      if (p_.refreshSeconds != 0) {
        refreshAt_ = now + std::chrono::seconds(p_.refreshSeconds);
      }
    }
    master_ = MasterInfo{p_.primary, electionPriority(), p_.adverIntCs, true};
  }
  return out;
}

std::optional<TimePoint> Fsm::nextDeadline() const {
  std::optional<TimePoint> d;
  for (const auto& t : {masterDownAt_, adverAt_, refreshAt_}) {
    if (t && (!d || *t < *d)) {
      d = t;
    }
  }
  return d;
}

}  // namespace hr::vrrp
