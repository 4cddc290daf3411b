// VrfNamespaces: the adapter that watches the network namespaces of FRR's netns VRFs
// (zebra -n: one namespace per VRF; docs/host-routing.md "VRFs").
//
// For every entry of the config's vrf list it opens, inside that VRF's namespace, a
// NeighWatcher (links, addresses, neighbour table) and a PacketIo (ARP/ND snooping and
// probes), in a slot of their own (netns_scope.h), so the VRF's interfaces and hosts reach
// the host table keyed by the VRF's name. A namespace that does not exist yet (or whose
// file is not yet a mounted namespace: `ip netns add` creates the file first) is retried
// with back-off, and at once when a file appears in its directory (inotify); one whose file
// is deleted is closed and its hosts withdrawn (interface gone), which also releases the
// namespace (an open socket keeps a deleted namespace alive). A path that is the learner's
// own namespace is refused.
//
//   apply(config) -> plan(): close removed/changed VRFs, open new ones
//   open: stat (not our own namespace) -> NeighWatcher::start (dump) -> PacketIo::start
//   inotify IN_CREATE/IN_MOVED_TO  -> retry that VRF now;  IN_DELETE/IN_MOVED_FROM -> close
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/event_loop.h"
#include "core/fd.h"
#include "hostroute_learner/learner_config.h"
#include "hostroute_learner/neigh_watcher.h"
#include "hostroute_learner/netns_scope.h"
#include "hostroute_learner/packet_io.h"

namespace hr::learner {

// What a configuration change does to the watched VRF namespaces (pure).
struct NetnsVrfPlan {
  std::vector<std::string> close;  // removed, or their namespace path changed
  std::vector<NetnsVrf> open;      // new, or re-pointed
};
NetnsVrfPlan planNetnsVrfs(
    const std::vector<NetnsVrf>& current, const std::vector<NetnsVrf>& desired);

// The lowest slot (1..kMaxNetnsSlots) not in `used`; nullopt when all are taken.
std::optional<int> freeNetnsSlot(const std::vector<int>& used);

class VrfNamespaces {
 public:
  struct Hooks {
    NeighWatcher::Sink sink;          // as the default namespace's watcher
    PacketIo::LearningFn isLearning;  // as the default namespace's packet I/O
    PacketIo::ObserveFn observe;
  };

  VrfNamespaces(EventLoop& loop, InterfaceDb& db, Counters& counters, Hooks hooks);
  ~VrfNamespaces();
  VrfNamespaces(const VrfNamespaces&) = delete;
  VrfNamespaces& operator=(const VrfNamespaces&) = delete;

  // Applies the config's vrf list (opens what it can now; the rest is retried).
  void apply(const std::vector<NetnsVrf>& vrfs);
  // Sends a probe through the packet socket of the namespace p.sendIfindex belongs to.
  Status send(const ProbeAction& p);
  // Sets a kernel neighbour entry inside the namespace `ifindex` belongs to.
  Status setNeighbor(int ifindex, const IpAddress& ip, const MacAddress& mac);

  size_t open() const;
  // `show learning`'s "netnsVrfs": every configured VRF with its state.
  nlohmann::json json(TimePoint now) const;

 private:
  enum class State { Waiting, Open, Refused };
  struct Vrf {
    NetnsVrf cfg;
    int slot = 0;
    State state = State::Waiting;
    std::unique_ptr<NeighWatcher> watcher;
    std::unique_ptr<PacketIo> packets;
    std::unique_ptr<Timer> retry;
    Backoff backoff{std::chrono::milliseconds(100), std::chrono::seconds(30)};
    std::string lastError;
    uint64_t opens = 0;
    uint64_t failures = 0;
    uint64_t nsInode = 0;
    TimePoint since{};
  };

  void tryOpen(Vrf& v);
  // Closes the sockets, forgets the VRF's interfaces and re-checks the hosts.
  void close(Vrf& v, const std::string& why);
  void scheduleRetry(Vrf& v, std::optional<Duration> after = std::nullopt);
  void watchDirectory(const std::string& dir);
  void onInotify();
  void exportGauges();

  EventLoop& loop_;
  InterfaceDb& db_;
  Counters& counters_;
  Hooks hooks_;
  std::map<std::string, Vrf> vrfs_;  // by VRF name
  Fd inotify_;
  std::map<int, std::string> watches_;  // watch descriptor -> directory
  Counter* gOpen_;
  Counter* cOpened_;
  Counter* cOpenFailures_;
  Counter* cClosed_;
};

}  // namespace hr::learner
