// fpm_client: the suite's one southbound daemon (docs/architecture.md). Wiring only:
//  - host routes: the ZAPI session with zebra that injects the learner's host routes;
//  - data path: the FPM server that mirrors zebra's FIB into the data-path backend.
#include <cstdio>

#include "core/daemon/daemon.h"
#include "fpm_client/dataplane_service.h"

int main(int argc, char** argv) {
  hr::Daemon d(
      "fpm_client",
      "frr-hostroute fpm_client: host-route injection into zebra (ZAPI) and zebra's FPM feed into "
      "the data path");

  // --- host routes (ZAPI) ---

  // --- data path (FPM) ---
  hr::fpm_client::DataplaneService dataplane(d);
  d.setConfigHandler([&dataplane](const hr::config::DataTree& t) { return dataplane.prepare(t); });

  if (auto rc = d.parse(argc, argv)) {
    return *rc;
  }
  if (auto st = d.init(); !st) {
    std::fprintf(stderr, "fpm_client: %s\n", st.error().message.c_str());
    return 1;
  }
  return d.run();
}
