// RoutePublisher: the learner's IPC client of fpm_client (core/ipc/hostroute_ipc.proto).
//
// On every connection: Hello, Subscribe{route-status, remote-routes}, SyncBegin{generation},
// the whole host table as RouteIntents (batches of kBatch routes), SyncEnd. fpm_client keeps
// the routes it holds meanwhile and removes only those not re-sent (mark and sweep), so a
// learner restart or a reconnect withdraws nothing valid.
//
// Then deltas: every add/withdraw the host table emits during one event-loop round is
// coalesced per (VRF, address) (the last one wins) and sent as one RouteIntents message at
// the end of the round: a burst of 10k new hosts becomes a few messages, not 10k. While
// disconnected, deltas are dropped: the next sync carries the table as it is then.
//
// Inbound: RouteStatusBatch (zebra's state per route) and RemoteRouteBatch (another router
// advertises one of our hosts: the move signal), handed to the host table.
#pragma once

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
  };

  RoutePublisher(
      EventLoop& loop, std::string socketPath, std::string instance, Counters& counters, Sink sink);
  void start();

  // Queues one intent; sent at the end of the current loop round (coalesced).
  void publish(const PublishAction& p, uint64_t seenRealtimeUs = 0);
  bool synced() const {
    return synced_;
  }
  uint64_t generation() const {
    return generation_;
  }

  // Handles one envelope from fpm_client (public for tests).
  void handle(const ipc::Envelope& e);

 private:
  void onUp(ipc::Channel& ch);
  void flush();
  void fill(ipc::HostRoute* r, const PublishAction& p, uint64_t seenUs);

  EventLoop& loop_;
  ipc::Connector connector_;
  std::string instance_;
  Sink sink_;
  bool synced_ = false;
  bool flushScheduled_ = false;
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
