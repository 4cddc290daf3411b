// HostRouteService: the host-route half of fpm_client (docs/zapi.md), glue between
//  - the learner's IPC (RouteIntents, SyncBegin/SyncEnd, Subscribe) on fpm_client's control
//    socket, answered with RouteStatusBatch and RemoteRouteBatch;
//  - RouteSync, the pure core;
//  - ZapiSession (the one session with zebra) and KernelTable (the kernel-table method);
//  - FrrProbe (version check, FRR configuration check);
//  - the `show zebra` and `show routes` topics and the `check-frr` command.
// Everything runs on the daemon's loop; the core's outputs are drained once per loop round
// (a deferred call), so a burst of intents leaves as one write.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/daemon/daemon.h"
#include "core/log.h"
#include "fpm_client/frr_config_check.h"
#include "fpm_client/frr_probe.h"
#include "fpm_client/injection_config.h"
#include "fpm_client/kernel_table.h"
#include "fpm_client/route_sync.h"
#include "fpm_client/write_latency.h"
#include "fpm_client/zapi_session.h"

namespace hr::fpm_client {

class HostRouteService {
 public:
  explicit HostRouteService(Daemon& d);
  ~HostRouteService();
  HostRouteService(const HostRouteService&) = delete;
  HostRouteService& operator=(const HostRouteService&) = delete;

  // Before Daemon::parse(): command-line options (--frr-version).
  void addOptions(CLI::App& app);
  // The config step of this part (learning/injection): checks, then an apply that cannot fail.
  config::ConfigResult<Daemon::ApplyFn> prepare(const config::DataTree& tree);
  // After Daemon::init(): starts the ZAPI session (and the kernel table).
  Status start();
  void onMessage(ipc::Channel& ch, const ipc::Envelope& e);
  void onDisconnect(ipc::Channel& ch);
  void onStop();

  Result<nlohmann::json> showZebra(const std::vector<std::string>& args);
  Result<nlohmann::json> showRoutes(const std::vector<std::string>& args);
  Result<std::string> checkFrr(const std::vector<std::string>& args);

  const RouteSync& core() const {
    return core_;
  }

 private:
  void schedule();
  void run();
  void sendOps(const std::vector<RouteOp>& ops);
  void publishStatus(const std::vector<StatusEvent>& st, ipc::Channel* only, bool snapshot);
  void publishRemote(const std::vector<RemoteEvent>& r, ipc::Channel* only, bool snapshot);
  void onZebraMessage(const codec::zapi::Message& m);
  void refreshFrrCheck();
  void exportCounters();
  void exportLatency();
  void maybeComplete();
  std::optional<Intent> toIntent(const ipc::HostRoute& h, bool& ok);
  std::optional<RouteKey> toKey(const ipc::HostRoute& h);
  nlohmann::json routeJson(const RouteView& v) const;
  Status openKernelTable();

  Daemon& d_;
  InjectionConfig cfg_;
  bool applied_ = false;
  std::string forcedVersion_;
  RouteSync core_;
  std::unique_ptr<FrrProbe> probe_;
  std::unique_ptr<ZapiSession> session_;
  std::unique_ptr<KernelTable> kernel_;
  std::unique_ptr<Timer> tick_;
  std::unique_ptr<Timer> frrCheckTimer_;
  std::unique_ptr<Timer> completeTimer_;
  std::optional<TimePoint> eligibleAt_;  // when GR COMPLETE could first be sent this session
  static constexpr std::chrono::seconds kCompleteWait{10};
  bool scheduled_ = false;
  bool replayed_ = false;  // this session's replay has been written
  bool leftoversSwept_ = false;
  std::set<uint64_t> learnerChannels_;
  std::optional<FrrConfigReport> frrReport_;
  std::string frrCheckError_;
  std::optional<TimePoint> frrCheckedAt_;
  log::RateLimiter rl_;
  WriteLatency writeLatency_;  // the learner's first frame -> our ROUTE_ADD written to zebra
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hr::fpm_client
