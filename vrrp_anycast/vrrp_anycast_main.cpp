// vrrp_anycast: the anycast VRRP gateway (docs/vrrp-anycast.md). Wiring only: the config
// handler, the `show vrrp` topic, SIGTERM, and the service (vrrp_anycast/service.h).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "core/daemon/daemon.h"
#include "vrrp_anycast/service.h"
#include "vrrp_anycast/vrrp_config.h"

int main(int argc, char** argv) {
  hr::Daemon d(
      "vrrp_anycast",
      "frr-hostroute vrrp_anycast: anycast VRRP gateway (VRRPv3) served by every ToR at once");
  std::unique_ptr<hr::vrrp::Service> service;
  hr::vrrp::VrrpConfig pending;

  d.addConfigHandler(
      [&](const hr::config::DataTree& tree) -> hr::config::ConfigResult<hr::Daemon::ApplyFn> {
        auto c = hr::vrrp::parseVrrpConfig(tree);
        if (!c) {
          return hr::Unexpected<hr::config::ConfigError>(std::move(c).error());
        }
        return hr::Daemon::ApplyFn([&, c = std::move(*c)]() mutable {
          if (service) {
            service->apply(std::move(c));
          } else {
            pending = std::move(c);  // first commit: the service starts after init()
          }
        });
      });
  d.addShow(
      "vrrp",
      "VRRP groups: role, priority and its reasons, timers, statistics [INTERFACE [VRID]]",
      [&](const std::vector<std::string>& args) -> hr::Result<nlohmann::json> {
        if (!service) {
          return hr::fail("vrrp.not_started", "the service is not running");
        }
        return service->show(args);
      });
  d.onStop([&] {
    if (service) {
      service->stop();
    }
  });

  if (auto rc = d.parse(argc, argv)) {
    return *rc;
  }
  if (auto st = d.init(); !st) {
    std::fprintf(stderr, "vrrp_anycast: %s\n", st.error().str().c_str());
    return 1;
  }
  service = std::make_unique<hr::vrrp::Service>(
      d.loop(), d.counters(), d.paths().runDir + "/vrrp_anycast.state.json");
  service->apply(std::move(pending));
  if (auto st = service->start(); !st) {
    std::fprintf(stderr, "vrrp_anycast: %s\n", st.error().str().c_str());
    return 1;
  }
  int rc = d.run();
  service.reset();
  return rc;
}
