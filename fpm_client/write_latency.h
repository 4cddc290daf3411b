// WriteLatency: the learner's own part of learn-to-route latency, as fpm_client sees it: from
// the moment the learner saw a new host's first frame (HostRoute.seen_realtime_us, the
// kernel's receive time of the frame) to the moment fpm_client wrote that host's ROUTE_ADD
// to zebra's socket (issue 4's target: p99 under 1 ms). A pure core (CONVENTIONS §1): times
// are arguments.
//
//   intent(key, seen)      a RouteIntents add carried a seen time
//   queued(key, mark)      the route's ROUTE_ADD was queued; `mark` is the session's byte
//                          count once it is written (ZapiSession::queuedBytes)
//   endOfRound()           intents that produced no ROUTE_ADD in this round (a repeat, a route
//                          waiting for its interface or for zebra) are forgotten: their
//                          latency is not the learner's
//   written(total, now)    the session has written `total` bytes in all: every queued route
//                          at or below that mark is one sample (now - seen)
//   reset()                the session went down: queued bytes were discarded
//
// Samples: the last kWindow kept for p50/p99/max; `samples` and `overTarget` count them all.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

#include "fpm_client/route_sync.h"

namespace hr::fpm_client {

class WriteLatency {
 public:
  static constexpr size_t kWindow = 4096;
  static constexpr uint64_t kTargetUs = 1000;

  struct Stats {
    uint64_t samples = 0;
    uint64_t overTarget = 0;  // samples above kTargetUs
    uint64_t p50Us = 0;       // over the last kWindow samples
    uint64_t p99Us = 0;
    uint64_t maxUs = 0;
  };

  void intent(const RouteKey& key, uint64_t seenRealtimeUs);
  void withdrawn(const RouteKey& key);
  void queued(const RouteKey& key, uint64_t mark);
  void endOfRound();
  // Returns true when at least one sample was taken.
  bool written(uint64_t total, uint64_t nowRealtimeUs);
  void reset();

  const Stats& stats() const {
    return stats_;
  }
  size_t tracked() const {
    return seen_.size() + marks_.size();
  }

 private:
  void add(uint64_t us);
  void recompute();

  std::unordered_map<RouteKey, uint64_t, RouteKeyHash> seen_;
  std::deque<std::pair<uint64_t, uint64_t>> marks_;  // (byte mark, seen time), marks rising
  std::array<uint32_t, kWindow> ring_{};
  Stats stats_;
};

}  // namespace hr::fpm_client
