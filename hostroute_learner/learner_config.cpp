#include "hostroute_learner/learner_config.h"

#include <fmt/format.h>

#include <algorithm>

namespace hr::learner {

const InterfaceConfig* LearnerConfig::interface(const std::string& name) const {
  for (const auto& i : interfaces) {
    if (i.name == name) {
      return &i;
    }
  }
  return nullptr;
}

const InterfaceConfig* LearnerConfig::interfaceIn(
    const std::string& name, const std::string& netnsVrf) const {
  const auto* i = interface(name);
  return i != nullptr && i->vrf == netnsVrf ? i : nullptr;
}

std::chrono::milliseconds LearnerConfig::probeStart() const {
  auto start = std::chrono::duration_cast<std::chrono::milliseconds>(holdTime) -
               probeInterval * probeRetries - agingMargin();
  return std::max(start, std::chrono::milliseconds(0));
}

std::chrono::milliseconds LearnerConfig::agingMargin() const {
  return std::min(probeInterval / 10, std::chrono::milliseconds(100));
}

config::ConfigResult<LearnerConfig> parseLearnerConfig(const config::DataTree& tree) {
  LearnerConfig c;
  std::vector<config::Issue> issues;
  auto root = tree.root("frr-hostroute", "hostroute");
  if (!root) {
    return c;  // no document: defaults, nothing to learn on
  }
  auto prefixLeaf = [&](const config::Node& n, const char* leaf) -> std::optional<Prefix> {
    auto v = n.leaf(leaf);
    if (!v) {
      return std::nullopt;
    }
    auto p = Prefix::parse(*v);
    if (!p) {
      issues.push_back({n.path() + "/" + leaf, p.error().message});
      return std::nullopt;
    }
    // libyang's canonical form of inet:ip-prefix already has the host bits cleared.
    return p->canonical();
  };

  for (const auto& ifn : root->children("interface")) {
    InterfaceConfig ic;
    ic.name = ifn.str("name");
    for (const auto& s : ifn.children("subnet")) {
      if (auto p = prefixLeaf(s, "prefix")) {
        ic.subnets.push_back(*p);
      }
    }
    ic.vrf = ifn.str("vrf");
    if (auto l = ifn.child("learning")) {
      ic.learning = l->boolean("enabled");
      if (auto m = l->leaf("max-hosts")) {
        ic.maxHosts = static_cast<uint32_t>(std::stoul(*m));
      }
      if (auto d = l->child("dual-attached")) {
        ic.dualAttached = DualAttached{d->str("peer"), d->leafList("port")};
      }
    }
    // The VRRP helper's module augments the interface with vrrp/group/virtual-address; read
    // it by node name so the learner neither depends on that module nor needs it loaded.
    for (const auto& v : ifn.children("vrrp")) {
      for (const auto& g : v.children("group")) {
        for (const auto& a : g.leafList("virtual-address")) {
          if (auto ip = IpAddress::parse(a)) {
            c.gatewayAddresses.push_back(*ip);
          }
        }
      }
    }
    c.interfaces.push_back(std::move(ic));
  }

  for (const auto& v : root->children("vrf")) {
    NetnsVrf nv;
    nv.name = v.str("name");
    nv.netns = v.str("netns", "/run/netns/" + nv.name);
    for (const auto& other : c.netnsVrfs) {
      if (other.netns == nv.netns) {
        issues.push_back(
            {v.path() + "/netns",
             fmt::format("namespace {} is already VRF {}", nv.netns, other.name)});
      }
    }
    c.netnsVrfs.push_back(std::move(nv));
  }

  auto learning = root->child("learning");
  if (learning) {
    c.enabled = learning->boolean("enabled", true);
    if (auto s = learning->child("sources")) {
      c.sourceNeighborTable = s->boolean("neighbor-table", true);
      c.sourceArp = s->boolean("arp", true);
      c.sourceNd = s->boolean("nd", true);
    }
    for (const auto& f : learning->children("foreign-subnet")) {
      if (auto p = prefixLeaf(f, "prefix")) {
        c.foreignSubnets.push_back(ForeignSubnet{*p, f.leafList("interface")});
      }
    }
    for (const auto& e : learning->leafList("excluded-address")) {
      if (auto a = IpAddress::parse(e)) {
        c.excluded.push_back(*a);
      }
    }
    if (auto inj = learning->child("injection")) {
      c.injection = inj->str("method", "zapi") == "kernel-table" ? InjectionMethod::KernelTable
                                                                 : InjectionMethod::Zapi;
      c.kernelTable = static_cast<uint32_t>(inj->u64("kernel-table", 10));
      c.distance = static_cast<uint8_t>(inj->u64("distance", 10));
    }
    if (auto a = learning->child("aging")) {
      c.holdTime = std::chrono::seconds(a->u64("hold-time", 300));
    }
    if (auto p = learning->child("probing")) {
      c.probeInterval = std::chrono::milliseconds(p->u64("interval", 1000));
      c.probeRetries = static_cast<uint8_t>(p->u64("retries", 3));
      c.probeRateLimit = static_cast<uint32_t>(p->u64("rate-limit", 1000));
    }
    if (auto l = learning->child("limits")) {
      c.maxHosts = static_cast<uint32_t>(l->u64("max-hosts", 200000));
    }
    if (auto m = learning->child("mobility")) {
      c.maxMoves = static_cast<uint16_t>(m->u64("max-moves", 5));
      c.moveWindow = std::chrono::seconds(m->u64("window", 180));
      c.freezeTime = std::chrono::seconds(m->u64("freeze-time", 1800));
      c.verifyTime = std::chrono::milliseconds(m->u64("verify-time", 300));
    }
    if (auto t = learning->child("timeline")) {
      c.timelineLength = static_cast<uint8_t>(t->u64("length", 8));
    }
  }

  // Checks YANG cannot express.
  for (const auto& ifn : root->children("interface")) {
    auto l = ifn.child("learning");
    if (l && l->leaf("max-hosts") && std::stoul(*l->leaf("max-hosts")) > c.maxHosts) {
      issues.push_back(
          {l->path() + "/max-hosts",
           fmt::format(
               "{} exceeds the global cap learning/limits/max-hosts ({})",
               *l->leaf("max-hosts"),
               c.maxHosts)});
    }
    auto subnets = ifn.children("subnet");
    for (size_t i = 0; i < subnets.size(); ++i) {
      for (size_t j = i + 1; j < subnets.size(); ++j) {
        auto a = Prefix::parse(subnets[i].str("prefix"));
        auto b = Prefix::parse(subnets[j].str("prefix"));
        if (a && b && (a->contains(*b) || b->contains(*a))) {
          issues.push_back(
              {subnets[j].path(),
               fmt::format("subnet {} overlaps {} on the same interface", b->str(), a->str())});
        }
      }
    }
  }
  if (!issues.empty()) {
    return Unexpected<config::ConfigError>(config::ConfigError{{}, std::move(issues)});
  }
  return c;
}

}  // namespace hr::learner
