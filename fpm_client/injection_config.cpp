#include "fpm_client/injection_config.h"

#include <fmt/format.h>

#include <vector>

namespace hr::fpm_client {

config::ConfigResult<InjectionConfig> parseInjectionConfig(const config::DataTree& tree) {
  InjectionConfig c;
  auto root = tree.root("frr-hostroute", "hostroute");
  if (!root) {
    return c;
  }
  auto learning = root->child("learning");
  if (!learning) {
    return c;
  }
  auto inj = learning->child("injection");
  if (!inj) {
    return c;
  }
  c.method = inj->str("method", "zapi") == "kernel-table" ? InjectionMethod::KernelTable
                                                          : InjectionMethod::Zapi;
  c.kernelTable = static_cast<uint32_t>(inj->u64("kernel-table", 10));
  c.distance = static_cast<uint8_t>(inj->u64("distance", 10));
  c.metric = static_cast<uint32_t>(inj->u64("metric", 0));
  if (auto m = inj->child("move-signal")) {
    c.moveSignal = m->boolean("enabled", true);
    c.claimDistance = static_cast<uint8_t>(m->u64("claim-distance", 10));
    c.claimTag = static_cast<uint32_t>(m->u64("claim-tag", 1));
    c.holdDistance = static_cast<uint8_t>(m->u64("hold-distance", 250));
    c.holdTag = static_cast<uint32_t>(m->u64("hold-tag", 2));
    c.claimWindow = std::chrono::milliseconds(m->u64("claim-window", 2000));
  }
  if (auto g = inj->child("graceful-restart")) {
    c.staleTime = std::chrono::seconds(g->u64("stale-time", 60));
    c.stopAction =
        g->str("stop-action", "keep") == "withdraw" ? StopAction::Withdraw : StopAction::Keep;
  }

  // What YANG cannot say: with the move signal on, the kernel-table method has one distance
  // per table (`ip import-table N distance D`), so it cannot claim and hold per route.
  std::vector<config::Issue> issues;
  if (c.method == InjectionMethod::KernelTable && c.moveSignal) {
    if (auto m = inj->child("move-signal");
        m && m->child("enabled") && !m->child("enabled")->isDefault()) {
      issues.push_back(
          {m->path() + "/enabled",
           "the move signal needs per-route distances, which the kernel-table method cannot give "
           "(one 'ip import-table N distance D' per table): use method zapi, or set enabled "
           "false"});
    }
  }
  if (!issues.empty()) {
    return Unexpected<config::ConfigError>(config::ConfigError{{}, std::move(issues)});
  }
  if (c.method == InjectionMethod::KernelTable) {
    c.moveSignal = false;  // documented: the kernel-table method injects plain routes
  }
  return c;
}

}  // namespace hr::fpm_client
