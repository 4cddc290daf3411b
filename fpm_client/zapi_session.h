// ZapiSession: the adapter that holds fpm_client's one ZAPI session with zebra
// (paths().zservPath, a unix stream socket), CONVENTIONS §3: owned by the loop, destroyed
// and re-created on every reconnect.
//
// Life of a session:
//   1. version check: FrrProbe asks the zebra binary for its version; an FRR release we have
//      no command table for is refused (logged as an error, shown by `show zebra`, retried
//      every 30 s in case FRR is upgraded or downgraded).
//   2. connect (non-blocking), then in one write: HELLO as route type table, instance 0,
//      with route notifications; CLIENT_CAPABILITIES graceful restart (stale time) and
//      ROUTE_UPDATE_PENDING for IPv4 and IPv6 (ZAPI.md §5: without PENDING the first
//      COMPLETE flushes every AFI); the interface dump request; REDISTRIBUTE_ADD for bgp and
//      ospf (IPv4) and bgp and ospf6 (IPv6), and for table/0 itself (zebra then replays the
//      host routes it still holds from our previous run); ROUTER_ID_ADD as a barrier: zebra
//      answers it after the dumps (a 1 s timer stands in when no router-id is set).
//   3. ready: the owner replays every route (one batch) and, once the learner has synced,
//      sends COMPLETE for IPv4 and IPv6 (sendComplete), which ends zebra's stale timer, and
//      deletes what zebra still holds from the previous run that the learner did not re-send
//      (zebra's own sweep misses routes written in the second of the disconnect: it compares
//      whole seconds).
//   4. EOF or an error: the owner is told (onDown), the session is torn down, and after a
//      back-off (100 ms doubling to 2 s) it starts again at 1. A reset right after HELLO,
//      before CAPABILITIES, is reported as a likely ZAPI version mismatch.
// Stop: close under graceful restart (zebra keeps the routes for the stale time), or first
// GR_DISABLE so that zebra withdraws everything at once (stop-action withdraw).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/codec/zapi.h"
#include "core/counters.h"
#include "core/event_loop.h"
#include "core/fd.h"
#include "core/log.h"
#include "fpm_client/frr_probe.h"

namespace hr::fpm_client {

class ZapiSession {
 public:
  enum class State { Idle, CheckingVersion, Refused, Connecting, Syncing, Ready, Backoff, Stopped };
  static std::string_view stateName(State s);

  struct Options {
    std::string path;
    std::chrono::seconds staleTime{60};
    Duration barrierTimeout = std::chrono::seconds(1);
    Duration refusedRetry = std::chrono::seconds(30);
  };
  struct Callbacks {
    std::function<void()> onReset;                               // connected; dumps follow
    std::function<void()> onReady;                               // dumps done
    std::function<void(const std::string& why)> onDown;          // session lost
    std::function<void(const codec::zapi::Message&)> onMessage;  // every decoded zebra message
    // Bytes reached zebra's socket: `total` is the session's byte count written so far
    // (compare with queuedBytes(); for the learn-to-write latency, docs/zapi.md).
    std::function<void(uint64_t total)> onWritten;
  };

  ZapiSession(EventLoop& loop, Counters& counters, FrrProbe& probe, Options opts, Callbacks cb);
  ~ZapiSession();
  ZapiSession(const ZapiSession&) = delete;
  ZapiSession& operator=(const ZapiSession&) = delete;

  void start();
  // Orderly stop: GR_DISABLE first when `withdraw`, then close. No reconnect afterwards.
  void stop(bool withdraw);
  void setStaleTime(std::chrono::seconds t) {
    opts_.staleTime = t;
  }

  State state() const {
    return state_;
  }
  bool ready() const {
    return state_ == State::Ready;
  }
  // Encodes and queues one message (written by flush()). Fails when not connected or the
  // message cannot be encoded (counted as zapi.encode_errors).
  Status queue(const codec::zapi::Message& m);
  void flush();
  // GR: COMPLETE for IPv4 and IPv6 in every VRF we announced PENDING for (once per session).
  void sendComplete();
  // The session subscribes to its own route type (table/0) at connect, so that zebra replays
  // the routes it still holds from a previous run (graceful restart); once those are
  // reconciled the subscription is dropped (REDISTRIBUTE_DELETE) to spare the traffic.
  void stopWatchingOwnRoutes();
  bool watchingOwnRoutes() const {
    return watchingOwn_;
  }
  bool completeSent() const {
    return completeSent_;
  }
  size_t pendingOutput() const {
    return out_.size() - outPos_;
  }
  // Bytes queued in this session so far, counting those already written: a message queued
  // now is on the wire once onWritten reports at least this total.
  uint64_t queuedBytes() const {
    return queuedTotal_;
  }
  const codec::zapi::CommandTable* table() const {
    return table_;
  }

  nlohmann::json toJson() const;

 private:
  void detect();
  void connect();
  void onEvents(uint32_t events);
  void readSome();
  void handle(const codec::zapi::Message& m);
  void becomeReady(const char* how);
  void drop(const std::string& why, bool suspectVersion);
  void scheduleReconnect();
  void announceVrf(uint32_t vrfId);
  void updateInterest();
  bool drainAndAwait(codec::zapi::Command cmd, std::chrono::milliseconds limit);

  EventLoop& loop_;
  Counters& counters_;
  FrrProbe& probe_;
  Options opts_;
  Callbacks cb_;
  State state_ = State::Idle;
  const codec::zapi::CommandTable* table_ = nullptr;
  std::optional<FrrProbe::Version> version_;
  std::string refusal_;
  Fd fd_;
  codec::zapi::Splitter splitter_;
  std::vector<uint8_t> out_;
  size_t outPos_ = 0;
  uint64_t queuedTotal_ = 0;   // bytes queued since the object was made (minus discarded)
  uint64_t writtenTotal_ = 0;  // bytes written since the object was made
  bool wantWrite_ = false;
  bool gotCapabilities_ = false;
  bool completeSent_ = false;
  std::set<uint32_t> grVrfs_;
  std::set<uint32_t> vrfs_;  // VRFs with subscriptions
  bool watchingOwn_ = false;
  Timer barrier_;
  Timer retry_;
  Backoff backoff_{std::chrono::milliseconds(100), std::chrono::seconds(2)};
  log::RateLimiter rl_;
  // shown by `show zebra`
  uint64_t sessions_ = 0;
  uint64_t reconnects_ = 0;
  std::string lastError_;
  std::optional<TimePoint> connectedAt_;
  std::optional<codec::zapi::Capabilities> caps_;
  std::optional<Prefix> routerId_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hr::fpm_client
