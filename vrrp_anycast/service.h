// vrrp_anycast's service: joins the pure cores (vrrp_fsm, tracking, vmac_plan) to the
// adapters (track_watcher, vmac, packet_io, sysctl) on the daemon's one event loop.
//
// One Instance per (interface, VRID, family) of the config: its Fsm and timer, its tracking
// result and its virtual-MAC interface. Event flow:
//
//   netlink change / config / timer 5 s --> reconcile(): tracking (restore-delay) -> Fsm
//   / restore-delay timer                 (priority, withdrawal, startup/shutdown) ->
//                                         VmacPlan -> VmacManager
//   VRRP frame ---------------------------> decode + checks (counted) -> Fsm::advert -> Output
//   Fsm timer -----------------------------> Fsm::timers -> Output
//   Output: send advertisement / gratuitous ARP / NA; a state change schedules reconcile()
//
// SIGTERM (stop): a master sends a priority-0 advertisement; then, per vrrp-anycast/on-stop,
// the kernel state is kept (default: hosts' traffic keeps flowing, the next start adopts it)
// or removed (interfaces, fdb entries, parent sysctls restored).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "core/config/yang.h"
#include "core/counters.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "vrrp_anycast/packet_io.h"
#include "vrrp_anycast/sysctl.h"
#include "vrrp_anycast/track_watcher.h"
#include "vrrp_anycast/tracking.h"
#include "vrrp_anycast/vmac.h"
#include "vrrp_anycast/vrrp_config.h"
#include "vrrp_anycast/vrrp_fsm.h"

namespace hr::vrrp {

class Service {
 public:
  Service(EventLoop& loop, Counters& counters, std::string stateFile);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Config commit: stores the config; applied at once when started, else by start().
  void apply(VrrpConfig c);
  // Opens the kernel interfaces (netlink, packet sockets) and applies the stored config.
  Status start();
  // SIGTERM.
  void stop();

  nlohmann::json show(const std::vector<std::string>& args) const;

 private:
  struct Instance {
    GroupConfig cfg;
    Family family = Family::V4;
    std::string vmacName;
    std::unique_ptr<Fsm> fsm;
    std::unique_ptr<Timer> timer;
    int parentIfindex = 0;
    std::optional<IpAddress> primary;
    TrackResult track;
    WithdrawHold hold;  // hold.withdrawn: out of anycast service (tracking, restore-delay)
    std::unique_ptr<Timer> restoreTimer;
    std::vector<std::string> problems;
    uint16_t ipId = 0;
    // ietf-vrrp per-virtual-router statistics not kept by the Fsm
    uint64_t addressListErrors = 0;
    uint64_t intervalErrors = 0;
    uint64_t sendErrors = 0;
    uint64_t garpSent = 0;
    uint64_t naSent = 0;
  };
  using Key = std::tuple<std::string, uint8_t, Family>;

  void applyNow();
  void scheduleReconcile();
  void reconcile();
  void reconcileInstance(Instance& inst, TimePoint now);
  void cleanupOrphans();
  void parentSysctls();
  void restoreSysctls(const std::function<bool(const std::string&)>& match);
  void onKernelChange(uint32_t change);
  void onFrame(int ifindex, std::span<const uint8_t> frame);
  void handle(Instance& inst, const Output& out, bool masterKnownBefore);
  void armTimer(Instance& inst);
  void sendAdvert(Instance& inst, uint8_t priority);
  void announce(Instance& inst);
  FsmParams params(const Instance& inst) const;
  void drop(const std::string& code, const std::string& detail);
  nlohmann::json instanceJson(const Instance& inst, TimePoint now) const;

  EventLoop& loop_;
  Counters& counters_;
  SysctlStore sysctls_;
  std::unique_ptr<TrackWatcher> watcher_;
  std::unique_ptr<VmacManager> vmacs_;
  std::unique_ptr<PacketIo> io_;
  std::map<Key, std::unique_ptr<Instance>> instances_;
  VrrpConfig config_;
  bool started_ = false;
  bool reconcilePending_ = false;
  bool orphansChecked_ = false;
  std::set<std::string> sysctlParents_;  // parents whose arp_* we changed
  std::vector<std::string> warnings_;
  Timer periodic_;
  log::RateLimiter logLimit_;
};

}  // namespace hr::vrrp
