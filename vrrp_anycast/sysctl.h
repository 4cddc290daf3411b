// Kernel settings (/proc/sys/net/...) vrrp_anycast changes, in the daemon's own network
// namespace. Two kinds:
//   - on its own virtual-MAC interfaces: written freely, they vanish with the interface;
//   - on interfaces it does not own (the parent SVI): the value found before the first
//     change is recorded in a state file (/run/frr-hostroute[/NAME]/vrrp_anycast.state.json)
//     that survives restarts, and written back by restore() when the daemon stops serving
//     that interface (group removed, or on-stop remove). A write that fails keeps the
//     record: the daemon retries on its next reconcile (and the next start reads it back).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace hr::vrrp {

// "net.ipv4.conf.br10.arp_ignore" -> "/proc/sys/net/ipv4/conf/br10/arp_ignore" (only the
// first two dots after "conf." separate path parts: interface names may hold dots).
std::string sysctlPath(
    const std::string& family, const std::string& ifname, const std::string& key);

Result<std::string> readSysctl(const std::string& path);
Status writeSysctl(const std::string& path, const std::string& value);

class SysctlStore {
 public:
  explicit SysctlStore(std::string stateFile) : stateFile_(std::move(stateFile)) {}

  // Loads the originals recorded by a previous run (missing file: none).
  Status load();
  // Ensures `path` reads `value`, recording the original first. Returns true if it wrote.
  Result<bool> ensure(const std::string& path, const std::string& value);
  // Ensures `path` is at least `value` (numeric), recording the original first.
  Result<bool> ensureAtLeast(const std::string& path, int value);
  struct Restored {
    std::vector<std::string> restored;  // "path=value" written back and forgotten
    std::vector<std::string> gone;      // the path no longer exists (interface deleted):
                                        // nothing to restore, forgotten
    std::vector<std::string> failed;    // the write failed (message): the original is kept
                                        // (and stays in the state file) for a later retry
  };
  // Writes the originals of every recorded path for which `match` holds back. An original is
  // forgotten only once written back or once its path is gone.
  Restored restore(const std::function<bool(const std::string&)>& match);
  const std::map<std::string, std::string>& originals() const {
    return originals_;
  }

 private:
  Status persist();
  std::string stateFile_;
  std::map<std::string, std::string> originals_;
};

}  // namespace hr::vrrp
