// RoutePublisher: the learner's IPC client of fpm_client (core/ipc/hostroute_ipc.proto).
//
// On every connection: Hello, Subscribe{route-status, remote-routes}, SyncBegin{generation},
// the whole host table as RouteIntents (batches of kBatch routes), then SyncEnd once the
// routes fpm_client held that the table did not know have been checked: fpm_client answers
// the Subscribe with its route-status snapshot (every route it holds), which goes to the
// table (Sink::recover); the table probes the hosts it has no record of (a host known only
// from snooping is not in the kernel's neighbour dump after a restart) and re-sends those
// that answer; SyncEnd goes once no status batch came for kSettle and the table checks
// nothing any more (Sink::recovering), or kSnapshotWait passes with no snapshot, or
// kRecoverWait after it. fpm_client keeps the routes it holds meanwhile and removes only those not
// re-sent (mark and sweep), so a learner restart or a reconnect withdraws nothing valid.
//
// Then deltas: every add/withdraw the host table emits during one event-loop round is
// coalesced per (VRF, address) (the last one wins) and sent as one RouteIntents message at
// the end of the round: a burst of 10k new hosts becomes a few messages, not 10k. While
// disconnected, deltas are dropped: the next sync carries the table as it is then.
//
// Inbound: RouteStatusBatch (zebra's state per route) and RemoteRouteBatch (another router
// advertises one of our hosts: the move signal), handed to the host table.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/ipc/channel.h"
#include "hostroute_learner/host_table.h"

namespace hr::learner {

class RoutePublisher {
 public:
  static constexpr size_t kBatch = 2000;
  // How long the sync waits for fpm_client's route-status snapshot before it ends anyway.
  static constexpr std::chrono::seconds kSnapshotWait{2};
  // The longest a sync stays open for the recovery of held routes.
  static constexpr std::chrono::seconds kRecoverWait{30};
  // A snapshot can take several messages: SyncEnd waits until none came for this long.
  static constexpr std::chrono::milliseconds kSettle{100};

  struct Sink {
    std::function<std::vector<PublishAction>()> snapshot;
    // shared: fpm_client injects the route as shared (RouteStatus.shared).
    std::function<void(const std::string& vrf, const IpAddress& ip, RouteState st, bool shared)>
        status;
    std::function<void(
        const std::string& vrf, const IpAddress& ip, bool present, const std::string& protocol)>
        remote;
    // The hosts currently believed advertised elsewhere: a remote-route snapshot that does
    // not list one of them means "absent".
    std::function<std::vector<std::pair<std::string, IpAddress>>()> remoteKeys;
    // Called once per flushed add that carries a first-seen time (a new host).
    std::function<void(const PublishAction&, uint64_t seenRealtimeUs)> sent;
    // fpm_client's route-status snapshot during a sync: every route it holds (optional).
    std::function<void(const std::vector<HeldRoute>&)> recover;
    // Whether the table still checks held routes (SyncEnd waits).
    std::function<bool()> recovering;
    // Intents flow (true: after the sync was sent) or not (false: disconnected).
    std::function<void(bool up)> southbound;
    // The sync with the whole table went out.
    std::function<void()> synced;
    // An intent queued in this loop round could not be sent (the connection dropped).
    std::function<void(const PublishAction&)> dropped;
  };

  RoutePublisher(
      EventLoop& loop, std::string socketPath, std::string instance, Counters& counters, Sink sink);
  void start();

  // Queues one intent; sent at the end of the current loop round (coalesced). False: not
  // connected, dropped (the next sync carries the table).
  bool publish(const PublishAction& p, uint64_t seenRealtimeUs = 0);
  // True once the sync (SyncBegin ... SyncEnd) has gone out on this connection.
  bool synced() const {
    return up_ && !syncEndPending_;
  }
  // The sync waits for endSync() (the recovery of held routes).
  bool syncEndPending() const {
    return up_ && syncEndPending_;
  }
  // Sends SyncEnd (fpm_client then sweeps what was not re-sent).
  void endSync();
  uint64_t generation() const {
    return generation_;
  }

  // Handles one envelope from fpm_client (public for tests).
  void handle(const ipc::Envelope& e);

 private:
  void onUp(ipc::Channel& ch);
  void flush();
  void onSyncTimer();
  void fill(ipc::HostRoute* r, const PublishAction& p, uint64_t seenUs);

  EventLoop& loop_;
  ipc::Connector connector_;
  std::string instance_;
  Sink sink_;
  bool up_ = false;  // Hello and SyncBegin sent: intents flow on this connection
  bool syncEndPending_ = false;
  bool snapshotSeen_ = false;
  TimePoint snapshotAt_{};
  TimePoint lastStatusAt_{};
  bool flushScheduled_ = false;
  Timer syncTimer_;
  size_t syncRoutes_ = 0;
  uint64_t generation_;
  uint64_t nextId_ = 1;
  struct Pending {
    PublishAction action;
    uint64_t seenUs;
  };
  std::map<std::pair<std::string, IpAddress>, Pending> pending_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Counter* cMessages_;
  Counter* cAdds_;
  Counter* cWithdraws_;
  Counter* cSyncs_;
  Counter* cDropped_;
  Counter* cStatus_;
  Counter* cRemote_;
  Counter* cMalformed_;
};

}  // namespace hr::learner
