// FibCore: the data path's pure core. zebra's FPM feed in, data-path operations out.
//
//   FPM frame -> FibMirror (zebra's FIB, zebra's ids)
//             -> resolve (zebra's ifindexes -> names, interned path sets)
//             -> Admission (switch profile: refuse beyond capacity)
//             -> diff against what the backend confirmed -> DpOps (batches)
//   backend results / hardware flags / resyncs -> programmed state
//
// Time, the ToR's links and the ToR's kernel FIB are arguments; there are no fds, syscalls
// or clock reads here (CONVENTIONS §1), so scenario tests drive it directly.
//
// Sessions and the sweep (FPM.md §0.5, §0.6): zebra replays its whole FIB after every
// connect but never marks the end, and never re-sends the deletions it made while
// disconnected. On sessionUp() the mirror starts a new generation; routes zebra re-sends
// are confirmed; nothing is withdrawn from the data path meanwhile (no flap). The replay is
// judged complete when
//   (a) the feed has been quiet for quietTime AND every route zebra installed in the ToR's
//       own kernel (its FIB, a superset of the feed: FPM runs after the kernel provider) in
//       the tables zebra replays has been re-sent, and reading was never paused by
//       back-pressure during the replay (a full zebra buffer pauses its walk for 1 s); or
//   (b) the feed has been quiet for fallbackQuiet.
// Then routes not re-sent are swept, and - once after a start - routes found in the data
// path that zebra does not have are deleted. Tables zebra never replays (non-default
// `table N` routes) are reconciled against the ToR's kernel at sessionUp() instead.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event_loop.h"
#include "core/result.h"
#include "fpm_client/dataplane.h"
#include "fpm_client/fib_mirror.h"
#include "fpm_client/fib_types.h"
#include "fpm_client/profile.h"

namespace hr::fpm_client {

struct FibCoreConfig {
  std::chrono::milliseconds quietTime{300};
  std::chrono::milliseconds fallbackQuiet{3000};
  size_t maxBacklog = 50000;
  SwitchProfile profile;
};

// The ToR's kernel FIB, read when a session starts (fib_kernel.h).
struct KernelSnapshot {
  bool valid = false;  // false: could not be read; only the fallback sweep applies
  std::set<uint32_t> replayedTables{254};  // main + every VRF's table
  // zebra's routes (zebra protocols) and the kernel's connected routes in the tables zebra
  // replays: the replay must re-send each of them ...
  std::vector<FibKey> replayedKeys;
  // ... and in the tables it never replays: taken as they are.
  std::vector<std::pair<FibKey, ZRoute>> otherTables;
};

struct Notice {
  enum class Level : uint8_t { Info, Warning } level = Level::Info;
  std::string text;  // key=value log line
};

class FibCore {
 public:
  enum class Session : uint8_t { Down, Replaying, Synced };

  struct Stats {
    uint64_t frames = 0;
    uint64_t messages = 0;
    uint64_t ignored = 0;
    uint64_t sessions = 0;
    uint64_t replays = 0;
    uint64_t sweepsConfirmed = 0;  // replay end confirmed by the ToR's kernel FIB
    uint64_t sweepsQuiet = 0;      // replay end inferred from the fallback quiet time
    uint64_t orphansDeleted = 0;   // data-path routes zebra did not have after a start
    uint64_t opsUpsert = 0;
    uint64_t opsDelete = 0;
    uint64_t opsFailed = 0;
    uint64_t resyncs = 0;
    uint64_t hwChanges = 0;
  };

  explicit FibCore(FibCoreConfig cfg = {});

  // --- FPM session ---------------------------------------------------------------------
  void sessionUp(TimePoint now, const KernelSnapshot& tor);
  void sessionDown(TimePoint now);
  // One frame's payload. An error means the frame was malformed: nothing of it was applied
  // and the caller resets the session (the mirror stays).
  Status onFrame(std::span<const uint8_t> payload, TimePoint now);
  void setReadPaused(bool paused, TimePoint now);
  // Back-pressure with hysteresis: pause at maxBacklog, resume at half of it.
  bool shouldPause() const {
    return backlog() >= cfg_.maxBacklog;
  }
  bool shouldResume() const {
    return backlog() <= cfg_.maxBacklog / 2;
  }

  // --- zebra's links (ifindex -> name in zebra's namespace) ----------------------------
  void setLinks(IfNames names);

  // --- data path -------------------------------------------------------------------------
  void onResynced(std::vector<ProgrammedRoute> routes, TimePoint now);
  std::vector<DpOp> takeOps(size_t max, TimePoint now);
  void onResults(std::span<const DpResult> results, TimePoint now);
  // The kernel's RTM_F_OFFLOAD/TRAP/OFFLOAD_FAILED of a route of ours, from any notification
  // (the echo of our own write included, which may come before the write's result): the
  // last flags seen are kept, in flight or not, and an upsert's result does not reset them.
  void onHwFlags(const FibKey& key, uint32_t rtmFlags);
  void setNeighbours(uint64_t n);
  // Ops queued plus ops in flight.
  size_t backlog() const {
    return queue_.size() + busy_;
  }
  size_t queued() const {
    return queue_.size();
  }

  // --- time --------------------------------------------------------------------------------
  std::optional<TimePoint> nextDeadline() const;
  void tick(TimePoint now);

  // --- configuration -----------------------------------------------------------------------
  void setConfig(FibCoreConfig cfg);
  const FibCoreConfig& config() const {
    return cfg_;
  }

  // --- state ---------------------------------------------------------------------------------
  Session session() const {
    return session_;
  }
  const FibMirror& mirror() const {
    return mirror_;
  }
  const Admission& admission() const {
    return admission_;
  }
  const Stats& stats() const {
    return stats_;
  }
  std::vector<Notice> takeNotices() {
    return std::exchange(notices_, {});
  }
  // The state of one route as `show dataplane` reports it: offloaded, trap, software,
  // offload-failed, rejected, refused, held, pending, stale.
  std::string routeState(const FibKey& key) const;
  // The programmed spec (nullopt: nothing in the data path).
  std::optional<RouteSpec> programmed(const FibKey& key) const;
  nlohmann::json summaryJson(TimePoint now) const;
  // Routes, optionally only those in `state` or matching `prefix`, at most `limit`.
  nlohmann::json routesJson(
      const std::string& state, const std::optional<Prefix>& prefix, size_t limit) const;

 private:
  // Per route of the data path; kept small (one per route): the rare states (an op in
  // flight, a refusal from the kernel) live in their own maps.
  struct DpEntry {
    std::optional<RouteSpec> programmed;
    uint32_t rtmFlags = 0;
    bool busy = false;  // an op is outstanding (its spec is in inflight_)
    bool queued = false;
    bool requeue = false;  // desired changed while busy
    bool orphan = false;   // found in the data path at start; zebra has not sent it
    bool failing = false;  // the kernel refused the last op (details in failures_)
  };
  struct Failure {
    int error = 0;
    std::string message;
    uint32_t count = 0;
    TimePoint retryAt{};
  };
  struct HeldInfo {
    Hold hold;
    std::string detail;
  };

  void processDirty();
  void enqueue(const FibKey& key, bool fresh);
  void maybeErase(std::unordered_map<FibKey, DpEntry>::iterator it);
  void completeReplay(TimePoint now, bool confirmed);
  bool replayed(uint32_t table) const {
    return replayedTables_.contains(table);
  }
  bool fastSweepEligible() const {
    return expectedKnown_ && expected_.empty() && !pausedDuringReplay_;
  }
  void notice(Notice::Level l, std::string text) {
    notices_.push_back({l, std::move(text)});
  }
  std::string stateOf(const FibKey& key, const DpEntry* e) const;
  void clearFailure(const FibKey& key, DpEntry& e) {
    if (e.failing) {
      failures_.erase(key);
      e.failing = false;
    }
  }

  FibCoreConfig cfg_;
  FibMirror mirror_;
  Admission admission_;
  PathInterner interner_;
  IfNames links_;
  std::unordered_map<FibKey, HeldInfo> held_;
  std::unordered_map<FibKey, DpEntry> dp_;
  std::unordered_map<FibKey, std::optional<RouteSpec>> inflight_;
  std::unordered_map<FibKey, Failure> failures_;
  std::deque<FibKey> queue_;
  std::multimap<TimePoint, FibKey> retries_;
  size_t busy_ = 0;
  std::vector<FibKey> scratch_;

  Session session_ = Session::Down;
  std::set<uint32_t> replayedTables_{254};
  std::unordered_set<FibKey> expected_;
  bool expectedKnown_ = false;
  bool readPaused_ = false;
  bool pausedDuringReplay_ = false;
  bool orphansSwept_ = false;
  TimePoint replayStart_{};
  TimePoint lastInput_{};
  TimePoint sessionSince_{};
  std::optional<double> lastReplaySeconds_;
  std::string lastReplayEnd_;
  Stats stats_;
  std::vector<Notice> notices_;
};

}  // namespace hr::fpm_client
