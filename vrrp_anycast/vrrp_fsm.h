// The VRRP state machine of one virtual router instance (one VRID, one address family):
// RFC 5798 §6.4 (VRRPv3), with RFC 3768's timers for VRRPv2. A pure core: events carry the
// time, actions come back as an Output, timers are deadlines the adapter arms (nextDeadline).
//
//   Initialize --startup--> Backup --Master_Down_Timer--> Master
//        ^                    ^  |                          |
//        +------shutdown------+--+---- higher-priority ------+  (or tie and higher address)
//                                      advertisement
//
// Timers (RFC 5798 §6.1, in centiseconds as on the wire, exposed in milliseconds):
//   Skew_Time            = ((256 - Priority) * Master_Adver_Interval) / 256   (v2: (256-P)/256 s)
//   Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time
// so priority 200 at 1 s gives 210 ms / 3210 ms and priority 100 gives 600 ms / 3600 ms, the
// figures FRR 8.4 and keepalived 2.2.7 show (shared/VRRP.md §1.5).
//
// Additions outside RFC 5798, each an explicit event:
//   setPriority   tracking changed the effective priority; a master advertises it at once.
//   setWithdrawn  tracking took the router out of anycast service (or put it back). While
//                 withdrawn the router stays in the election as the least eligible one:
//                 election priority 1 (kWithdrawnPriority), no preemption.
//                   - a master hands over at once: a priority-0 advertisement, then Backup
//                     (peers take over after their skew time, as on shutdown);
//                   - a backup accepts any master and stays backup while it hears one;
//                   - it becomes master only when it hears no master for a whole
//                     Master_Down_Interval, computed with priority 1 (the longest skew, so
//                     every eligible backup wins that race): the last resort when every
//                     router of the segment is withdrawn (or it is alone), so hosts keep a
//                     gateway. As master it advertises priority 1, and any eligible router
//                     takes over from it: one of priority > 1 preempts a priority-1 master
//                     even with preemption off (the one exception to RFC 5798 §6.4.2: a
//                     last-resort master must not keep traffic a healthy router could take).
//                 Restored, a last-resort master advertises its real priority at once; a
//                 backup preempts again per its setting.
// masterKnown(): a Backup has heard a live master (an advertisement with priority > 0 since
// it entered Backup). The anycast data plane uses it: a backup that knows a master leaves
// ARP answers for the virtual addresses to that master (docs/vrrp-anycast.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/net/addr.h"

namespace hr::vrrp {

using TimePoint = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

enum class State : uint8_t { Initialize, Backup, Master };
std::string_view stateName(State s);

enum class Reason : uint8_t {
  None,
  Startup,
  MasterDown,      // Master_Down_Timer fired
  HigherPriority,  // an advertisement with a higher priority (or equal and higher address)
  Shutdown,
  Release,  // tracking withdrew anycast service
};

// The priority a withdrawn router competes and advertises with (see setWithdrawn).
inline constexpr uint8_t kWithdrawnPriority = 1;
std::string_view reasonName(Reason r);

struct FsmParams {
  uint8_t vrid = 1;
  Family family = Family::V4;
  uint8_t version = 3;
  uint8_t priority = 100;  // effective priority after tracking, 1..254
  uint16_t adverIntCs = 100;
  bool preempt = true;
  IpAddress primary;            // this router's advertisement source (tie-break)
  uint32_t refreshSeconds = 0;  // periodic gratuitous ARP / NA while master, 0 = off
};

struct ReceivedAdvert {
  IpAddress src;
  uint8_t priority = 0;
  uint16_t maxAdverIntCs = 100;
};

// What the adapter must do after an event.
struct Output {
  std::optional<uint8_t> advertise;  // send an advertisement with this priority
  bool announce = false;             // gratuitous ARP / unsolicited NA for every address
  bool stateChanged = false;
};

struct FsmStats {
  uint64_t masterTransitions = 0;
  uint64_t advertisementRcvd = 0;
  uint64_t advertisementSent = 0;
  uint64_t priorityZeroRcvd = 0;
  uint64_t priorityZeroSent = 0;
  uint64_t announcements = 0;  // gratuitous ARP / unsolicited NA rounds
};

struct MasterInfo {
  IpAddress address;
  uint8_t priority = 0;
  uint16_t adverIntCs = 0;
  bool local = false;
};

struct Transition {
  State from = State::Initialize;
  State to = State::Initialize;
  Reason reason = Reason::None;
  TimePoint at{};
};

class Fsm {
 public:
  explicit Fsm(FsmParams p) : p_(std::move(p)) {}

  Output startup(TimePoint now);
  Output shutdown(TimePoint now);
  Output setWithdrawn(bool withdrawn, TimePoint now);
  Output advert(const ReceivedAdvert& a, TimePoint now);
  // Fires every timer whose deadline is at or before now.
  Output timers(TimePoint now);
  Output setPriority(uint8_t priority, TimePoint now);
  // New parameters (config reload, new primary address). Keeps the state; a master whose
  // interval changed re-arms its advertisement timer.
  Output setParams(const FsmParams& p, TimePoint now);

  std::optional<TimePoint> nextDeadline() const;

  State state() const {
    return state_;
  }
  bool withdrawn() const {
    return withdrawn_;
  }
  // The priority this router competes and advertises with: params().priority, or
  // kWithdrawnPriority while withdrawn.
  uint8_t electionPriority() const {
    return withdrawn_ ? kWithdrawnPriority : p_.priority;
  }
  bool masterKnown() const {
    return state_ == State::Backup && masterKnown_;
  }
  const FsmParams& params() const {
    return p_;
  }
  const FsmStats& stats() const {
    return stats_;
  }
  const std::optional<MasterInfo>& master() const {
    return master_;
  }
  const Transition& lastTransition() const {
    return last_;
  }
  uint16_t masterAdverIntCs() const {
    return masterAdverIntCs_;
  }
  Millis skewTime() const;
  Millis masterDownInterval() const;
  std::optional<TimePoint> masterDownDeadline() const {
    return masterDownAt_;
  }
  std::optional<TimePoint> adverDeadline() const {
    return adverAt_;
  }

 private:
  void enter(State s, Reason r, TimePoint now);
  void becomeMaster(Reason r, TimePoint now, Output& out);
  void becomeBackup(const ReceivedAdvert& a, Reason r, TimePoint now);
  void advertise(uint8_t priority, Output& out);
  Millis adverInterval() const;
  bool preempts(uint8_t received) const;

  FsmParams p_;
  bool withdrawn_ = false;
  State state_ = State::Initialize;
  uint16_t masterAdverIntCs_ = 0;
  bool masterKnown_ = false;
  std::optional<TimePoint> masterDownAt_;
  std::optional<TimePoint> adverAt_;
  std::optional<TimePoint> refreshAt_;
  std::optional<MasterInfo> master_;
  FsmStats stats_;
  Transition last_;
};

}  // namespace hr::vrrp
