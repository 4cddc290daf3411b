// Learner: the daemon's wiring of the pure host table to its adapters (netlink watcher,
// packet I/O, IPC publisher, and the same watcher and packet I/O inside each netns VRF's
// namespace) on the one event loop. Every adapter event goes into
// the table with the loop's time; the table's actions come back out: probes to PacketIo,
// intents to RoutePublisher, log lines to spdlog (at most kLogsPerSecond, the rest counted).
// One timer is armed at the table's next deadline.
#pragma once

#include <array>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/counters.h"
#include "core/daemon/paths.h"
#include "core/event_loop.h"
#include "hostroute_learner/host_table.h"
#include "hostroute_learner/neigh_watcher.h"
#include "hostroute_learner/packet_io.h"
#include "hostroute_learner/route_publisher.h"
#include "hostroute_learner/vrf_namespaces.h"

namespace hr::learner {

class Learner {
 public:
  static constexpr double kLogsPerSecond = 200;

  Learner(EventLoop& loop, Counters& counters, const InstancePaths& paths);
  // Applies the config, opens the sockets, dumps the kernel tables, then dials fpm_client
  // (so the first sync already carries what the kernel knows).
  Status start(const LearnerConfig& cfg);
  void configure(const LearnerConfig& cfg);

  Result<nlohmann::json> showHosts(const std::vector<std::string>& args);
  Result<std::string> command(const std::vector<std::string>& args);

  HostTable& table() {
    return table_;
  }
  // The netns VRFs and their state (`show learning`).
  nlohmann::json netnsVrfsJson() const;

 private:
  NeighWatcher::Sink neighSink();
  void observe(const Observation& o, TimePoint rx);
  void dispatch();
  void log(const LogAction& l);
  void sample(uint64_t seenRealtimeUs);
  bool isLearning(int ifindex) const;

  EventLoop& loop_;
  HostTable table_;
  NeighWatcher watcher_;
  PacketIo packets_;
  VrfNamespaces vrfs_;
  RoutePublisher publisher_;
  Timer timer_;
  Actions out_;
  uint64_t rxRealtimeUs_ = 0;  // the frame or event being processed
  double logTokens_ = kLogsPerSecond;
  TimePoint logRefill_{};
  uint64_t logsSuppressed_ = 0;
  std::array<uint32_t, 1024> samples_{};
  size_t nSamples_ = 0;
  Counter* cLogsSuppressed_;
  Counter* gLatP50_;
  Counter* gLatP99_;
  Counter* gLatMax_;
  Counter* cLatSamples_;
};

}  // namespace hr::learner
