// `hostroutectl show vrrp`: the text form of vrrp_anycast's JSON (docs/json.md), laid out
// like FRR's `show vrrp`.
#include <fmt/format.h>

#include <string>

#include "tools/render.h"

namespace hr::cli {
namespace {

// The member `key` of `j`, or null (which iterates as empty).
const nlohmann::json& get(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (j.is_object()) {
    if (auto it = j.find(key); it != j.end()) {
      return *it;
    }
  }
  return kNull;
}

bool flag(const nlohmann::json& j, const char* key) {
  const auto& v = get(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::string str(const nlohmann::json& j, const char* key, const char* fallback = "-") {
  if (!j.is_object() || !j.contains(key) || j.at(key).is_null()) {
    return fallback;
  }
  const auto& v = j.at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string ms(const nlohmann::json& timers, const char* key) {
  if (!timers.is_object() || !timers.contains(key) || !timers.at(key).is_number()) {
    return "-";
  }
  auto v = timers.at(key).get<int64_t>();
  return v < 0 ? "-" : fmt::format("{} ms", v);
}

std::string renderVrrp(const nlohmann::json& j) {
  std::string out;
  const auto groups = get(j, "groups");
  if (groups.empty()) {
    out += "No VRRP groups configured.\n";
  }
  for (const auto& g : groups) {
    const auto& prio = get(g, "priority");
    const auto& vif = get(g, "vmacInterface");
    const auto& timers = get(g, "timers");
    std::string addrs;
    for (const auto& a : get(g, "virtualAddresses")) {
      addrs += (addrs.empty() ? "" : ", ") + a.get<std::string>();
    }
    out += fmt::format(
        "Interface {}  VRID {}  {}  (VRRPv{})\n",
        str(g, "interface"),
        str(g, "vrid"),
        str(g, "family"),
        str(g, "version"));
    out += fmt::format("  {:<26} {}\n", "Role", str(g, "role"));
    out += fmt::format("  {:<26} {}\n", "VRRP state", str(g, "state"));
    out += fmt::format("  {:<26} {}\n", "Virtual addresses", addrs);
    out += fmt::format(
        "  {:<26} {} on {} (ifindex {}, {}{}{})\n",
        "Virtual MAC",
        str(g, "vmac"),
        str(vif, "name"),
        str(vif, "ifindex"),
        flag(vif, "up") ? "up" : "down",
        flag(vif, "bridgeFdbLocal") ? ", bridge fdb local" : "",
        flag(vif, "answersArpNd") ? ", answers ARP/ND" : "");
    std::string election;
    if (get(prio, "election").is_number() && get(prio, "election") != get(prio, "effective")) {
      election = fmt::format(", competes with {} (withdrawn)", str(prio, "election"));
    }
    out += fmt::format(
        "  {:<26} {} (configured {}){}\n",
        "Priority",
        str(prio, "effective"),
        str(prio, "configured"),
        election);
    for (const auto& t : get(prio, "tracked")) {
      out += fmt::format(
          "  {:<26} {} {} is {}{}\n",
          "",
          str(t, "type"),
          str(t, "name"),
          flag(t, "up") ? "up" : "DOWN",
          flag(t, "up") ? "" : fmt::format(" (-{})", str(t, "decrement")));
    }
    out += fmt::format("  {:<26} {}\n", "Preempt", flag(g, "preempt") ? "yes" : "no");
    out += fmt::format("  {:<26} {}\n", "Primary address", str(g, "primaryAddress"));
    const auto& m = get(g, "master");
    if (m.is_object()) {
      out += fmt::format(
          "  {:<26} {} priority {}{}\n",
          "Master",
          str(m, "address"),
          str(m, "priority"),
          flag(m, "local") ? " (this router)" : "");
    } else {
      out += fmt::format("  {:<26} {}\n", "Master", "none known");
    }
    out += fmt::format(
        "  {:<26} {} / master {} / skew {} / master down {}\n",
        "Advertisement interval",
        ms(timers, "advertisementIntervalMs"),
        ms(timers, "masterAdverIntervalMs"),
        ms(timers, "skewTimeMs"),
        ms(timers, "masterDownIntervalMs"));
    out += fmt::format(
        "  {:<26} master down in {}, next advertisement in {}\n",
        "Timers",
        ms(timers, "masterDownTimerMs"),
        ms(timers, "advertisementTimerMs"));
    const auto& last = get(g, "lastTransition");
    if (last.is_object()) {
      out += fmt::format(
          "  {:<26} {} -> {} ({}) {:.1f} s ago\n",
          "Last transition",
          str(last, "from"),
          str(last, "to"),
          str(last, "reason"),
          get(last, "secondsAgo").is_number() ? get(last, "secondsAgo").get<double>() : 0.0);
    }
    std::string stats;
    for (const auto& [k, v] : get(g, "statistics").items()) {
      stats += fmt::format("    {:<30} {}\n", k, v.dump());
    }
    out += "  Statistics\n" + stats;
    for (const auto& p : get(g, "problems")) {
      out += fmt::format("  PROBLEM: {}\n", p.get<std::string>());
    }
    out += "\n";
  }
  out += "Global statistics:";
  for (const auto& [k, v] : get(j, "globalStatistics").items()) {
    out += fmt::format(" {} {}", k, v.dump());
  }
  out += "\nReceive drops:";
  for (const auto& [k, v] : get(j, "receiveDrops").items()) {
    out += fmt::format(" {} {}", k, v.dump());
  }
  out += fmt::format("\nOn stop: {}\n", str(j, "onStop"));
  for (const auto& w : get(j, "warnings")) {
    out += fmt::format("WARNING: {}\n", w.get<std::string>());
  }
  return out;
}

}  // namespace

HR_REGISTER_RENDERER(vrrp, renderVrrp);

}  // namespace hr::cli
