#include "vrrp_anycast/tracking.h"

namespace hr::vrrp {

TrackResult computeTracking(
    uint8_t configured, std::vector<TrackedObject> objects, WithdrawPolicy policy) {
  TrackResult r;
  r.configured = configured;
  int prio = configured;
  size_t down = 0;
  for (const auto& o : objects) {
    if (!o.up) {
      ++down;
      prio -= o.decrement;
    }
  }
  r.effective = static_cast<uint8_t>(prio < 1 ? 1 : prio);
  switch (policy) {
    case WithdrawPolicy::WhenAllDown:
      r.withdraw = !objects.empty() && down == objects.size();
      break;
    case WithdrawPolicy::WhenAnyDown:
      r.withdraw = down > 0;
      break;
    case WithdrawPolicy::Never:
      r.withdraw = false;
      break;
  }
  r.objects = std::move(objects);
  return r;
}

bool stepWithdrawal(WithdrawHold& h, bool withdraw, TimePoint now, std::chrono::seconds delay) {
  if (withdraw) {
    h.restoreAt.reset();
    if (!h.withdrawn) {
      h.withdrawn = true;
      return true;
    }
    return false;
  }
  if (!h.withdrawn) {
    return false;
  }
  if (!h.restoreAt) {
    h.restoreAt = now + delay;
  }
  if (*h.restoreAt <= now) {
    h.withdrawn = false;
    h.restoreAt.reset();
    return true;
  }
  return false;
}

}  // namespace hr::vrrp
