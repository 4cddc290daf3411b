// fpm_client: wiring only (docs/architecture.md).
#include <cstdio>

#include "core/daemon/daemon.h"

int main(int argc, char** argv) {
  hr::Daemon d("fpm_client", "frr-hostroute fpm_client");
  if (auto rc = d.parse(argc, argv)) return *rc;
  if (auto st = d.init(); !st) {
    std::fprintf(stderr, "fpm_client: %s\n", st.error().message.c_str());
    return 1;
  }
  return d.run();
}
