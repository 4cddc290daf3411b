// hostroute_learner: learns the hosts attached to this switch and publishes a host-route
// intent for each (docs/host-routing.md, docs/architecture.md). Wiring only.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "core/daemon/daemon.h"
#include "hostroute_learner/learner.h"
#include "hostroute_learner/learner_config.h"

int main(int argc, char** argv) {
  hr::Daemon d(
      "hostroute_learner",
      "frr-hostroute host learner: learns attached hosts and publishes /32 and /128 host routes");
  hr::learner::LearnerConfig running;
  std::unique_ptr<hr::learner::Learner> learner;

  d.addConfigHandler(
      [&](const hr::config::DataTree& tree) -> hr::config::ConfigResult<hr::Daemon::ApplyFn> {
        auto c = hr::learner::parseLearnerConfig(tree);
        if (!c) {
          return hr::Unexpected<hr::config::ConfigError>(std::move(c).error());
        }
        return hr::Daemon::ApplyFn([&running, &learner, c = std::move(*c)]() mutable {
          running = std::move(c);
          if (learner) {
            learner->configure(running);
          }
        });
      });
  d.addShow(
      "learning",
      "effective learning configuration",
      [&](const std::vector<std::string>&) -> hr::
                                               Result<nlohmann::json> {
                                                 nlohmann::json ifs = nlohmann::json::array();
                                                 for (const auto& i : running.interfaces) {
                                                   nlohmann::json subnets = nlohmann::json::array();
                                                   for (const auto& s : i.subnets) {
                                                     subnets.push_back(s.str());
                                                   }
                                                   ifs.push_back(
              {{"name", i.name},
               {"vrf", i.vrf.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.vrf)},
               {"learning", i.learning},
               {"subnets", subnets},
               {"maxHosts", i.maxHosts ? nlohmann::json(*i.maxHosts) : nlohmann::json(nullptr)},
               {"dualAttached",
                i.dualAttached ? nlohmann::json{{"peer", i.dualAttached->peer},
                                                {"ports", i.dualAttached->ports}}
                               : nlohmann::json(nullptr)}});
                                                 }
                                                 nlohmann::json gws = nlohmann::json::array();
                                                 for (const auto& g : running.gatewayAddresses) {
                                                   gws.push_back(g.str());
                                                 }
                                                 nlohmann::json vrfs = nlohmann::json::array();
                                                 if (learner) {
                                                   vrfs = learner->netnsVrfsJson();
                                                 } else {
                                                   for (const auto& v : running.netnsVrfs) {
                                                     vrfs.push_back(
                                                         {{"name", v.name},
                                                          {"netns", v.netns},
                                                          {"state", "starting"}});
                                                   }
                                                 }
                                                 return nlohmann::json{
                                                     {"enabled", running.enabled},
                                                     {"interfaces", ifs},
                                                     {"netnsVrfs", vrfs},
                                                     {"maxHosts", running.maxHosts},
                                                     {"holdTimeSeconds", running.holdTime.count()},
                                                     {"gatewayAddresses", gws}};
                                               });
  d.addShow(
      "hosts",
      "learned hosts: show hosts [ADDRESS] [vrf NAME] [all]",
      [&](const std::vector<std::string>& args) -> hr::Result<nlohmann::json> {
        if (!learner) {
          return hr::fail("learner.starting", "the learner is starting");
        }
        return learner->showHosts(args);
      });
  d.addCommand(
      "clear",
      "clear host ADDRESS [freeze|duplicate|shared] [vrf NAME]",
      [&](const std::vector<std::string>& args) -> hr::Result<std::string> {
        if (!learner) {
          return hr::fail("learner.starting", "the learner is starting");
        }
        return learner->command(args);
      });

  if (auto rc = d.parse(argc, argv)) {
    return *rc;
  }
  if (auto st = d.init(); !st) {
    std::fprintf(stderr, "hostroute_learner: %s\n", st.error().str().c_str());
    return 1;
  }
  learner = std::make_unique<hr::learner::Learner>(d.loop(), d.counters(), d.paths());
  if (auto st = learner->start(running); !st) {
    std::fprintf(stderr, "hostroute_learner: %s\n", st.error().str().c_str());
    return 1;
  }
  int rc = d.run();
  learner.reset();
  return rc;
}
