#include "fpm_client/fib_types.h"

#include <fmt/format.h>

#include <algorithm>

namespace hr::fpm_client {

std::string FibKey::str() const {
  return table == 254 ? prefix.str() : fmt::format("{} table {}", prefix.str(), table);
}

const char* kindName(RouteKind k) {
  switch (k) {
    case RouteKind::Unicast:
      return "unicast";
    case RouteKind::Blackhole:
      return "blackhole";
    case RouteKind::Unreachable:
      return "unreachable";
    case RouteKind::Prohibit:
      return "prohibit";
  }
  return "?";
}

std::string Path::str() const {
  std::string s;
  if (gateway) {
    s += "via " + gateway->str();
  }
  if (!ifname.empty()) {
    s += (s.empty() ? "dev " : " dev ") + ifname;
  }
  if (onlink) {
    s += " onlink";
  }
  if (weight != 1) {
    s += fmt::format(" weight {}", weight);
  }
  return s;
}

size_t PathSetHash::operator()(const PathSet& p) const noexcept {
  size_t h = p.size();
  for (const auto& x : p) {
    size_t e = x.gateway ? x.gateway->hash() : 0x51;
    e ^= std::hash<std::string>{}(x.ifname) + 0x9e3779b97f4a7c15ULL + (e << 6) + (e >> 2);
    e ^= size_t{x.weight} << 17 ^ size_t { x.onlink };
    h = h * 1099511628211ULL ^ e;
  }
  return h;
}

PathSetRef PathInterner::intern(PathSet paths) {
  std::sort(paths.begin(), paths.end());
  paths.erase(
      std::unique(
          paths.begin(),
          paths.end(),
          [](const Path& a, const Path& b) {
            return a.gateway == b.gateway && a.ifname == b.ifname && a.onlink == b.onlink;
          }),
      paths.end());
  if (paths.size() == 1) {
    paths[0].weight = 1;
  }
  auto it = pool_.find(paths);
  if (it != pool_.end()) {
    if (auto p = it->second.lock()) {
      return p;
    }
  }
  auto ref = std::make_shared<const PathSet>(paths);
  pool_[std::move(paths)] = ref;
  if (++sinceCollect_ > 4096 && sinceCollect_ > pool_.size()) {
    collect();
  }
  return ref;
}

void PathInterner::collect() {
  std::erase_if(pool_, [](const auto& e) { return e.second.expired(); });
  sinceCollect_ = 0;
}

bool RouteSpec::operator==(const RouteSpec& o) const {
  if (kind != o.kind || protocol != o.protocol || prefsrc != o.prefsrc) {
    return false;
  }
  if (paths == o.paths) {
    return true;
  }
  if (!paths || !o.paths) {
    return false;
  }
  return *paths == *o.paths;
}

std::string RouteSpec::str() const {
  std::string s = kind == RouteKind::Unicast ? std::string() : std::string(kindName(kind));
  if (paths) {
    for (const auto& p : *paths) {
      s += (s.empty() ? "" : ", ") + p.str();
    }
  }
  s += " proto " + protocolName(protocol);
  if (prefsrc) {
    s += " src " + prefsrc->str();
  }
  return s;
}

std::string protocolName(uint8_t proto) {
  switch (proto) {
    case 2:
      return "kernel";
    case 3:
      return "boot";
    case 4:
      return "static";
    case 11:
      return "zebra";
    case 42:
      return "babel";
    case 186:
      return "bgp";
    case 187:
      return "isis";
    case 188:
      return "ospf";
    case 189:
      return "rip";
    case 190:
      return "ripng";
    case 191:
      return "nhrp";
    case 192:
      return "eigrp";
    case 193:
      return "ldp";
    case 194:
      return "sharp";
    case 195:
      return "pbr";
    case 196:
      return "static";  // zebra's zstatic (staticd)
    case 197:
      return "openfabric";
    case 198:
      return "srte";
    default:
      return std::to_string(proto);
  }
}

bool isZebraProtocol(uint8_t proto) {
  return proto == 11 || proto == 42 || (proto >= 186 && proto <= 198);
}

}  // namespace hr::fpm_client
