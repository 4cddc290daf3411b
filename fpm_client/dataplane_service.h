// DataplaneService: fpm_client's data path, wired (adapter glue; the logic is in FibCore).
//
//   zebra --FPM/TCP--> FpmServer --frames--> FibCore --DpOps--> LinuxDataplane --> target netns
//   zebra's links (LinkWatcher) ---------------^        ^------ results, flags, resyncs
//   zebra's kernel FIB (read when a session starts) ----^
//
// Everything runs on the daemon's one event loop. Work is batched per loop round: frames read
// in one readiness callback (up to 4 MiB) become one set of ops, sent in batch-size batches.
// Back-pressure: when the core's backlog reaches max-backlog the FPM socket is not read until
// it is down to half.
//
// Configuration: prepare() checks the `dataplane` part of a candidate document and returns
// the step that applies it (start, reconfigure or stop the listener and the backend). A
// listener that cannot bind or a backend whose namespace is missing is retried with
// back-off; the daemon keeps running and reports it in `show dataplane`.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/daemon/daemon.h"
#include "core/event_loop.h"
#include "core/netlink/socket.h"
#include "fpm_client/dataplane.h"
#include "fpm_client/dataplane_config.h"
#include "fpm_client/fib_core.h"
#include "fpm_client/fpm_links.h"
#include "fpm_client/fpm_server.h"

namespace hr::fpm_client {

class DataplaneService {
 public:
  // Registers the `dataplane` show topic. The caller installs prepare() as (part of) the
  // daemon's config handler.
  explicit DataplaneService(Daemon& daemon);
  ~DataplaneService();
  DataplaneService(const DataplaneService&) = delete;
  DataplaneService& operator=(const DataplaneService&) = delete;

  config::ConfigResult<Daemon::ApplyFn> prepare(const config::DataTree& tree);

  Result<nlohmann::json> show(const std::vector<std::string>& args);

 private:
  void apply(DataplaneConfig cfg);
  void stop();
  void startListener();
  void startBackend();
  void schedulePump();
  void pump();
  void onSessionUp(const std::string& peer);
  void syncCounters();
  KernelSnapshot readTorFib();
  nlohmann::json summary();

  Daemon& d_;
  EventLoop* loop_ = nullptr;
  std::optional<DataplaneConfig> cfg_;
  std::unique_ptr<FibCore> core_;
  std::unique_ptr<Dataplane> backend_;
  bool backendReady_ = false;
  std::string backendError_;
  std::unique_ptr<FpmServer> server_;
  std::string listenError_;
  std::unique_ptr<LinkWatcher> torLinks_;
  std::optional<Timer> tick_;
  std::optional<Timer> listenRetry_;
  std::optional<Timer> backendRetry_;
  Backoff listenBackoff_{std::chrono::milliseconds(500), std::chrono::seconds(10)};
  Backoff backendBackoff_{std::chrono::milliseconds(500), std::chrono::seconds(10)};
  bool pumpScheduled_ = false;
  TimePoint lastCounterSync_{};
  double lastTorSnapshotSeconds_ = 0;
  uint64_t lastTorSnapshotRoutes_ = 0;
};

}  // namespace hr::fpm_client
