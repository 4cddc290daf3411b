// vrrp_anycast: wiring only (docs/architecture.md).
#include <cstdio>

#include "core/daemon/daemon.h"

int main(int argc, char** argv) {
  hr::Daemon d("vrrp_anycast", "frr-hostroute vrrp_anycast");
  if (auto rc = d.parse(argc, argv)) return *rc;
  if (auto st = d.init(); !st) {
    std::fprintf(stderr, "vrrp_anycast: %s\n", st.error().message.c_str());
    return 1;
  }
  return d.run();
}
