// `hostroutectl show zebra`: fpm_client's ZAPI session, the FRR version it speaks to,
// graceful restart, the injection settings, counters and the FRR configuration check (the
// JSON is docs/json.md's "show zebra").
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

std::string renderZebra(const nlohmann::json& j) {
  std::string out;
  const auto& s = j.at("session");
  out += fmt::format("ZAPI session   {} ({})\n", str(s["state"]), str(s["socket"]));
  out += fmt::format(
      "FRR version    {} via {}; command table {}; ZAPI {}\n",
      str(s["frrVersion"]),
      str(s["frrVersionSource"]),
      str(s["commandTable"]),
      str(s["zapiVersion"]));
  if (!s["refusal"].is_null()) {
    out += fmt::format("REFUSED        {}\n", str(s["refusal"]));
  }
  out += fmt::format(
      "Client         route type {}, instance {}; router-id {}\n",
      str(s["routeType"]),
      str(s["instance"]),
      str(s["routerId"]));
  out += fmt::format(
      "Connected      {} s; sessions {}, reconnect attempts {}; last error {}\n",
      s["connectedSeconds"].is_null() ? "-"
                                      : fmt::format("{:.1f}", s["connectedSeconds"].get<double>()),
      str(s["sessions"]),
      str(s["reconnects"]),
      str(s["lastError"]));
  const auto& gr = j.at("gracefulRestart");
  out += fmt::format(
      "Graceful restart {}: stale time {} s, on stop: {}\n",
      str(gr["state"]),
      str(gr["staleTimeSeconds"]),
      str(gr["stopAction"]));
  const auto& inj = j.at("injection");
  const auto& ms = inj.at("moveSignal");
  out += fmt::format(
      "Injection      {}; move signal {}: claim distance {} tag {}, hold distance {} tag {}, "
      "window {} ms\n",
      str(inj["method"]),
      ms["enabled"].get<bool>() ? "on" : "off",
      str(ms["claimDistance"]),
      str(ms["claimTag"]),
      str(ms["holdDistance"]),
      str(ms["holdTag"]),
      str(ms["claimWindowMs"]));
  const auto& r = j.at("routes");
  std::string states;
  for (const auto& [k, v] : r.at("states").items()) {
    states += fmt::format(" {} {}", k, v.get<long>());
  }
  out += fmt::format(
      "Routes         {}{}; remote host routes seen {}\n",
      str(r["total"]),
      states,
      str(r["remoteHostRoutes"]));
  const auto& l = j.at("learner");
  out += fmt::format(
      "Learner        {}{}; full sync seen {}\n",
      l["connected"].get<bool>() ? "connected" : "not connected",
      l["syncing"].get<bool>() ? " (syncing)" : "",
      l["fullSyncSeen"].get<bool>() ? "yes" : "no");
  std::string vrfs;
  for (const auto& v : j.at("vrfs")) {
    vrfs += fmt::format(" {}({})", str(v["name"]), str(v["id"]));
  }
  out += fmt::format("VRFs          {}; interfaces {}\n", vrfs, str(j["interfaces"]));
  const auto& f = j.at("frrConfig");
  if (f["ok"].is_null()) {
    out += fmt::format("FRR config     not checked: {}\n", str(f["error"]));
  } else {
    out += fmt::format(
        "FRR config     {} (checked {:.0f} s ago)\n",
        f["ok"].get<bool>() ? "OK" : "PROBLEMS",
        f["checkedSecondsAgo"].get<double>());
    for (const auto& c : f.at("redistribute")) {
      out += fmt::format(
          "  {:<18} redistribute table {}{}\n",
          str(c["where"]),
          c["configured"].get<bool>() ? "yes" : "NO",
          c["routeMap"].is_null() ? ""
                                  : fmt::format(
                                        " route-map {}{}",
                                        str(c["routeMap"]),
                                        c["routeMapDefined"].get<bool>() ? "" : " (UNDEFINED)"));
    }
    for (const auto& p : f.at("problems")) {
      out += fmt::format("  problem: {}\n", str(p));
    }
    for (const auto& w : f.at("warnings")) {
      out += fmt::format("  warning: {}\n", str(w));
    }
  }
  out += "Counters\n";
  for (const auto& [k, v] : j.at("counters").items()) {
    out += fmt::format("  {:<44} {:>12}\n", k, v.dump());
  }
  return out;
}

}  // namespace

HR_REGISTER_RENDERER(zebra, renderZebra);
