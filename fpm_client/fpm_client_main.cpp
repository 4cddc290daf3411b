// fpm_client: the suite's one southbound daemon (docs/architecture.md). Wiring only:
//  - host routes: the ZAPI session with zebra that injects the learner's host routes;
//  - data path: the FPM server that mirrors zebra's FIB into the data-path backend.
#include <cstdio>

#include "core/daemon/daemon.h"
#include "fpm_client/dataplane_service.h"
#include "fpm_client/host_route_service.h"

int main(int argc, char** argv) {
  hr::Daemon d(
      "fpm_client",
      "frr-hostroute fpm_client: host-route injection into zebra (ZAPI) and zebra's FPM feed into "
      "the data path");

  // --- host routes (ZAPI) ---
  // The learner's host routes into zebra (docs/zapi.md). Each part of fpm_client adds its
  // own config step and handlers; the Daemon runs them all.
  hr::fpm_client::HostRouteService hostRoutes(d);
  hostRoutes.addOptions(d.cli());
  d.addConfigHandler([&](const hr::config::DataTree& tree) { return hostRoutes.prepare(tree); });
  d.onMessage(
      [&](hr::ipc::Channel& ch, const hr::ipc::Envelope& e) { hostRoutes.onMessage(ch, e); });
  d.onDisconnect([&](hr::ipc::Channel& ch) { hostRoutes.onDisconnect(ch); });
  d.onStop([&] { hostRoutes.onStop(); });
  d.addShow(
      "zebra",
      "ZAPI session with zebra, FRR version, graceful restart, FRR config check",
      [&](const std::vector<std::string>& a) { return hostRoutes.showZebra(a); });
  d.addShow(
      "routes",
      "Injected host routes: [vrf NAME] [ADDRESS]",
      [&](const std::vector<std::string>& a) { return hostRoutes.showRoutes(a); });
  d.addCommand(
      "check-frr",
      "Re-read FRR's running configuration and check it (see show zebra)",
      [&](const std::vector<std::string>& a) { return hostRoutes.checkFrr(a); });

  // --- data path (FPM) ---
  hr::fpm_client::DataplaneService dataplane(d);
  d.addConfigHandler([&dataplane](const hr::config::DataTree& t) { return dataplane.prepare(t); });

  if (auto rc = d.parse(argc, argv)) {
    return *rc;
  }
  if (auto st = d.init(); !st) {
    std::fprintf(stderr, "fpm_client: %s\n", st.error().str().c_str());
    return 1;
  }
  if (auto st = hostRoutes.start(); !st) {  // host routes (ZAPI)
    std::fprintf(stderr, "fpm_client: %s\n", st.error().str().c_str());
    return 1;
  }
  return d.run();
}
