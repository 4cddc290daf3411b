#include "fpm_client/frr_config_check.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <sstream>

namespace hr::fpm_client {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> w;
  std::istringstream in{std::string(line)};
  std::string x;
  while (in >> x) {
    w.push_back(x);
  }
  return w;
}

struct RouteMapEntry {
  bool permit = true;
  std::vector<std::string> lines;  // trimmed
  bool has(std::string_view prefix) const {
    for (const auto& l : lines) {
      if (l.rfind(prefix, 0) == 0) {
        return true;
      }
    }
    return false;
  }
};

struct Parsed {
  std::optional<uint32_t> asn;
  bool ospf = false;
  bool ospf6 = false;
  std::set<uint32_t> importTables;
  // where -> the redistribute table lines' route-map ("" = none); where = "bgp ipv4 unicast"...
  std::map<std::string, std::vector<std::pair<uint32_t, std::string>>>
      redist;                                                   // (instance, route-map)
  std::map<std::string, std::vector<std::string>> inboundMaps;  // af -> route-maps
  std::map<std::string, std::vector<RouteMapEntry>> routeMaps;
};

Parsed parse(std::string_view text) {
  Parsed p;
  std::string top;  // "bgp", "ospf", "ospf6", "route-map", ""
  std::string af;   // inside router bgp
  std::string rmName;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    auto w = words(line);
    if (w.empty() || w[0] == "!") {
      continue;
    }
    bool indented = line[0] == ' ';
    if (!indented) {
      af.clear();
      top.clear();
      if (w[0] == "router" && w.size() >= 3 && w[1] == "bgp" && (w.size() == 3)) {
        top = "bgp";
        p.asn = static_cast<uint32_t>(std::stoul(w[2]));
      } else if (w[0] == "router" && w.size() >= 2 && w[1] == "ospf" && w.size() == 2) {
        top = "ospf";
        p.ospf = true;
      } else if (w[0] == "router" && w.size() >= 2 && w[1] == "ospf6" && w.size() == 2) {
        top = "ospf6";
        p.ospf6 = true;
      } else if (w[0] == "route-map" && w.size() >= 3) {
        top = "route-map";
        rmName = w[1];
        p.routeMaps[rmName].push_back(RouteMapEntry{w[2] == "permit", {}});
      } else if (w[0] == "ip" && w.size() >= 3 && w[1] == "import-table") {
        p.importTables.insert(static_cast<uint32_t>(std::stoul(w[2])));
      }
      continue;
    }
    if (w[0] == "exit") {
      if (top != "bgp" || af.empty()) {
        top.clear();
      }
      continue;
    }
    if (top == "bgp") {
      if (w[0] == "address-family" && w.size() >= 3) {
        af = w[1] + " " + w[2];
        continue;
      }
      if (w[0] == "exit-address-family") {
        af.clear();
        continue;
      }
    }
    std::string where;
    if (top == "bgp") {
      // Outside an address-family block, FRR's IPv4 unicast settings may appear at the
      // router level (hidden legacy form): treat them as ipv4 unicast.
      where = "bgp " + (af.empty() ? std::string("ipv4 unicast") : af);
    } else if (top == "ospf" || top == "ospf6") {
      where = top;
    }
    if (!where.empty() && w[0] == "redistribute" && w.size() >= 2 && w[1] == "table") {
      uint32_t instance = 0;
      std::string rm;
      for (size_t i = 2; i < w.size(); ++i) {
        if (w[i] == "route-map" && i + 1 < w.size()) {
          rm = w[i + 1];
          ++i;
        } else if (w[i] == "metric" || w[i] == "metric-type") {
          ++i;
        } else if (i == 2 && !w[i].empty() && std::isdigit(static_cast<unsigned char>(w[i][0]))) {
          instance = static_cast<uint32_t>(std::stoul(w[i]));
        }
      }
      p.redist[where].emplace_back(instance, rm);
      continue;
    }
    if (top == "bgp" && w[0] == "neighbor" && w.size() >= 5 && w[2] == "route-map" &&
        w[4] == "in") {
      p.inboundMaps[where].push_back(w[3]);
      continue;
    }
    if (top == "route-map" && !rmName.empty()) {
      std::string trimmed = line.substr(line.find_first_not_of(' '));
      p.routeMaps[rmName].back().lines.push_back(trimmed);
    }
  }
  return p;
}

}  // namespace

FrrConfigReport checkFrrConfig(std::string_view runningConfig, const InjectionConfig& cfg) {
  FrrConfigReport r;
  Parsed p = parse(runningConfig);
  r.bgpAsn = p.asn;
  r.ospf = p.ospf;
  r.ospf6 = p.ospf6;
  bool kernel = cfg.method == InjectionMethod::KernelTable;
  r.importTable = p.importTables.count(cfg.kernelTable) > 0;

  std::vector<std::string> places;
  if (p.asn) {
    places.push_back("bgp ipv4 unicast");
    places.push_back("bgp ipv6 unicast");
  }
  if (p.ospf) {
    places.push_back("ospf");
  }
  if (p.ospf6) {
    places.push_back("ospf6");
  }
  if (places.empty()) {
    r.problems.push_back(
        "neither router bgp nor router ospf/ospf6 is configured: host routes stay in zebra");
  }
  auto label = [&](const std::string& where) {
    if (where.rfind("bgp ", 0) == 0) {
      return fmt::format("router bgp {} address-family {}", *p.asn, where.substr(4));
    }
    return "router " + where;
  };
  for (const auto& where : places) {
    bool v4 = where != "bgp ipv6 unicast" && where != "ospf6";
    // The kernel-table method only exists for IPv4 in FRR 8.4; IPv6 host routes still come
    // through ZAPI (table 0), so `redistribute table` is needed there in both methods.
    uint32_t want = kernel && v4 ? cfg.kernelTable : 0;
    RedistributeCheck c;
    c.where = where;
    for (const auto& [inst, rm] : p.redist[where]) {
      if (inst != want) {
        continue;
      }
      c.configured = true;
      c.routeMap = rm;
      c.routeMapDefined = rm.empty() || p.routeMaps.count(rm) > 0;
    }
    std::string line =
        want == 0 ? "redistribute table" : fmt::format("redistribute table {}", want);
    if (!c.configured) {
      r.problems.push_back(
          fmt::format("{}: no '{}': host routes are not advertised there", label(where), line));
    } else if (!c.routeMapDefined) {
      r.problems.push_back(fmt::format(
          "{}: '{} route-map {}' names a route-map that does not exist (it denies everything)",
          label(where),
          line,
          c.routeMap));
    }
    r.redistribute.push_back(std::move(c));
  }
  if (kernel && !r.importTable) {
    r.problems.push_back(fmt::format(
        "no 'ip import-table {}': zebra does not import the kernel table fpm_client writes",
        cfg.kernelTable));
  }

  // The eBGP half of the move signal (docs/frr-config.md).
  if (cfg.moveSignal && !kernel && p.asn) {
    bool ready = true;
    for (const auto& c : r.redistribute) {
      if (c.where.rfind("bgp ", 0) != 0 || !c.configured) {
        continue;
      }
      if (c.routeMap.empty() || !c.routeMapDefined) {
        r.warnings.push_back(fmt::format(
            "{}: 'redistribute table' has no route-map: held host routes are not prepended, so "
            "over eBGP "
            "the old ToR of a moved host only withdraws when the learner's hold time expires",
            label(c.where)));
        ready = false;
        continue;
      }
      bool prepend = false;
      bool weight0 = false;
      for (const auto& e : p.routeMaps[c.routeMap]) {
        if (!e.permit || !e.has(fmt::format("match tag {}", cfg.holdTag))) {
          continue;
        }
        prepend = prepend || e.has("set as-path prepend");
        weight0 = weight0 || e.has("set weight 0");
      }
      if (!prepend || !weight0) {
        r.warnings.push_back(fmt::format(
            "route-map {} has no permit entry with 'match tag {}', 'set as-path prepend' and 'set "
            "weight 0': "
            "the eBGP move signal is incomplete",
            c.routeMap,
            cfg.holdTag));
        ready = false;
      }
      bool inboundWeight = false;
      for (const auto& rm : p.inboundMaps[c.where]) {
        for (const auto& e : p.routeMaps[rm]) {
          for (const auto& l : e.lines) {
            if (l.rfind("set weight ", 0) == 0 && l != "set weight 0") {
              inboundWeight = true;
            }
          }
        }
      }
      if (!inboundWeight) {
        r.warnings.push_back(fmt::format(
            "{}: no neighbor has an inbound route-map with 'set weight 1': a held host route keeps "
            "winning in "
            "bgpd over a claim heard from the fabric",
            label(c.where)));
        ready = false;
      }
    }
    r.moveSignalBgp = ready;
  }
  return r;
}

}  // namespace hr::fpm_client
