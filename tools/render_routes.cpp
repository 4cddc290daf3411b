// `hostroutectl show routes [vrf NAME] [ADDRESS]`: fpm_client's injected host routes as a
// table (the JSON is docs/json.md's "show routes").
#include <fmt/format.h>

#include <string>

#include "tools/render.h"

namespace {

std::string str(const nlohmann::json& j) {
  if (j.is_null()) {
    return "-";
  }
  return j.is_string() ? j.get<std::string>() : j.dump();
}

std::string renderRoutes(const nlohmann::json& j) {
  std::string out;
  std::string states;
  for (const auto& [k, v] : j.at("states").items()) {
    if (v.get<long>() > 0) {
      states += fmt::format(" {} {}", k, v.get<long>());
    }
  }
  out += fmt::format(
      "Host routes: {}{}\n", j.at("total").get<long>(), states.empty() ? "" : ":" + states);
  const auto& routes = j.at("routes");
  if (routes.size() == 1) {
    const auto& r = routes[0];
    out += fmt::format(
        "{} (VRF {}) via {} (ifindex {})\n",
        str(r["prefix"]),
        str(r["vrf"]),
        str(r["interface"]),
        str(r["ifindex"]));
    out += fmt::format("  state      {}: {}\n", str(r["state"]), str(r["reason"]));
    out += fmt::format(
        "  injected   {} as {}, distance {}, tag {}{}\n",
        str(r["method"]),
        str(r["mode"]),
        str(r["distance"]),
        str(r["tag"]),
        r["claimRemainingMs"].is_null()
            ? ""
            : fmt::format(" (claim for {} ms more)", str(r["claimRemainingMs"])));
    out += fmt::format("  mac        {}\n", str(r["mac"]));
    out += fmt::format(
        "  remote     {}\n",
        r["remoteProtocol"].is_null() ? "none"
                                      : str(r["remoteProtocol"]) + " copy is zebra's best");
    out += fmt::format(
        "  changed    {:.1f} s ago; failures {}{}\n",
        r["lastChangeSecondsAgo"].get<double>(),
        str(r["failures"]),
        r["stale"].get<bool>() ? "; stale (resync in progress)" : "");
    return out;
  }
  if (routes.empty()) {
    return out;
  }
  out += fmt::format(
      "{:<8} {:<40} {:<12} {:<10} {:<6} {:>4} {:>4} {:>8}  {}\n",
      "VRF",
      "Prefix",
      "Interface",
      "State",
      "Mode",
      "Dist",
      "Tag",
      "Age(s)",
      "Reason");
  for (const auto& r : routes) {
    out += fmt::format(
        "{:<8} {:<40} {:<12} {:<10} {:<6} {:>4} {:>4} {:>8.1f}  {}\n",
        str(r["vrf"]),
        str(r["prefix"]),
        str(r["interface"]),
        str(r["state"]),
        str(r["mode"]),
        str(r["distance"]),
        str(r["tag"]),
        r["lastChangeSecondsAgo"].get<double>(),
        str(r["reason"]));
  }
  return out;
}

}  // namespace

HR_REGISTER_RENDERER(routes, renderRoutes);
