#include "vrrp_anycast/vrrp_config.h"

#include <fmt/format.h>

#include <map>

namespace hr::vrrp {

std::string vmacInterfaceName(const std::string& parent, Family f, uint8_t vrid) {
  std::string fam = f == Family::V4 ? "4" : "6";
  std::string name = fmt::format("{}-v{}-{}", parent, fam, vrid);
  if (name.size() <= 15) {
    return name;
  }
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : parent) {
    h = (h ^ c) * 16777619u;
  }
  return fmt::format("hrv{}-{}-{:06x}", fam, vrid, h & 0xffffff);
}

config::ConfigResult<VrrpConfig> parseVrrpConfig(const config::DataTree& tree) {
  VrrpConfig c;
  std::vector<config::Issue> issues;
  auto root = tree.root("frr-hostroute", "hostroute");
  if (!root) {
    return c;
  }
  if (auto g = root->child("vrrp-anycast")) {
    c.onStop = g->str("on-stop", "keep") == "remove" ? OnStop::Remove : OnStop::Keep;
  }

  std::map<IpAddress, std::string> vipOwner;
  std::map<std::string, std::string> vmacOwner;
  for (const auto& ifn : root->children("interface")) {
    auto vrrp = ifn.child("vrrp");
    if (!vrrp) {
      continue;
    }
    for (const auto& gn : vrrp->children("group")) {
      GroupConfig g;
      g.interface = ifn.str("name");
      g.path = gn.path();
      g.vrid = static_cast<uint8_t>(gn.u64("vrid"));
      g.version = static_cast<uint8_t>(gn.u64("version", 3));
      g.priority = static_cast<uint8_t>(gn.u64("priority", 100));
      g.adverIntCs = static_cast<uint16_t>(gn.u64("advertisement-interval", 100));
      g.preempt = gn.boolean("preempt", true);
      g.acceptMode = gn.boolean("accept-mode", true);
      g.checksum = gn.str("checksum", "with-pseudo-header") == "without-pseudo-header"
                       ? codec::vrrp::ChecksumForm::NoPseudoHeader
                       : codec::vrrp::ChecksumForm::PseudoHeader;
      g.anycast = gn.boolean("anycast", true);
      g.refreshSeconds = static_cast<uint32_t>(gn.u64("gratuitous-refresh-interval", 0));

      for (const auto& vn : gn.children("virtual-address")) {
        auto a = IpAddress::parse(vn.value());
        std::string where = vn.path();
        if (!a) {
          issues.push_back({where, a.error().message});
          continue;
        }
        if (a->isUnspecified() || a->isMulticast() || a->isLoopback() || a->isLimitedBroadcast()) {
          issues.push_back({where, fmt::format("{} cannot be a gateway address", a->str())});
          continue;
        }
        if (auto [it, fresh] = vipOwner.emplace(*a, g.path); !fresh) {
          issues.push_back(
              {where, fmt::format("{} is already a virtual address of {}", a->str(), it->second)});
          continue;
        }
        (a->isV4() ? g.v4 : g.v6).push_back(*a);
      }
      if (g.v4.size() > 255 || g.v6.size() > 255) {
        issues.push_back(
            {g.path, "at most 255 virtual addresses per family (Count IPvX Addr is one byte)"});
      }
      if (g.version == 2) {
        if (!g.v6.empty()) {
          issues.push_back(
              {g.path + "/version",
               "VRRP version 2 carries IPv4 only; use version 3 for IPv6 addresses"});
        }
        if (g.adverIntCs % 100 != 0 || g.adverIntCs > 25500) {
          issues.push_back(
              {g.path + "/advertisement-interval",
               fmt::format(
                   "{} cs: VRRPv2 advertises whole seconds (1..255), use a multiple of 100",
                   g.adverIntCs)});
        }
      }

      if (auto t = gn.child("track")) {
        for (const auto& tn : t->children("interface")) {
          g.trackInterfaces.push_back(
              {tn.str("name"), static_cast<uint8_t>(tn.u64("priority-decrement", 10))});
          if (g.trackInterfaces.back().name == g.interface) {
            issues.push_back(
                {tn.path(),
                 "the group's own interface cannot be tracked (it is the segment being served)"});
          }
        }
        for (const auto& rn : t->children("route")) {
          auto p = Prefix::parse(rn.str("prefix"));
          if (!p) {
            issues.push_back({rn.path() + "/prefix", p.error().message});
            continue;
          }
          g.trackRoutes.push_back(
              {p->canonical(),
               static_cast<uint32_t>(rn.u64("table", 254)),
               static_cast<uint8_t>(rn.u64("priority-decrement", 10))});
        }
        std::string w = t->str("withdraw-anycast", "when-all-down");
        g.withdraw = w == "never"           ? WithdrawPolicy::Never
                     : w == "when-any-down" ? WithdrawPolicy::WhenAnyDown
                                            : WithdrawPolicy::WhenAllDown;
        g.restoreDelaySeconds = static_cast<uint32_t>(t->u64("restore-delay", 0));
      }

      for (Family f : {Family::V4, Family::V6}) {
        if (g.addresses(f).empty()) {
          continue;
        }
        std::string name = vmacInterfaceName(g.interface, f, g.vrid);
        if (auto [it, fresh] = vmacOwner.emplace(name, g.path); !fresh) {
          issues.push_back(
              {g.path,
               fmt::format("virtual MAC interface name {} collides with {}", name, it->second)});
        }
      }
      c.groups.push_back(std::move(g));
    }
  }
  // An interface named like one of our virtual-MAC interfaces cannot be a group's parent.
  for (const auto& g : c.groups) {
    if (auto it = vmacOwner.find(g.interface); it != vmacOwner.end()) {
      issues.push_back(
          {g.path,
           fmt::format(
               "interface {} is the virtual MAC interface of {}", g.interface, it->second)});
    }
  }
  if (!issues.empty()) {
    return Unexpected<config::ConfigError>(config::ConfigError{{}, std::move(issues)});
  }
  return c;
}

}  // namespace hr::vrrp
