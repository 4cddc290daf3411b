// Text for `hostroutectl show dataplane` (the JSON is fpm_client's, docs/json.md).
#include <fmt/format.h>

#include <string>

#include "tools/render.h"

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key, const std::string& fallback = "-") {
  if (!j.contains(key) || j[key].is_null()) {
    return fallback;
  }
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string renderRoutes(const json& j) {
  std::string out = fmt::format(
      "{:<44} {:>6} {:<10} {:<15} {}\n", "Prefix", "Table", "Protocol", "State", "Paths / reason");
  for (const auto& r : j.at("routes")) {
    std::string what;
    const json* spec = r.contains("programmed") ? &r["programmed"]
                                                : (r.contains("wanted") ? &r["wanted"] : nullptr);
    if (spec != nullptr) {
      if ((*spec)["kind"] != "unicast") {
        what = (*spec)["kind"].get<std::string>();
      }
      for (const auto& p : (*spec)["paths"]) {
        if (!what.empty()) {
          what += ", ";
        }
        if (!p["gateway"].is_null()) {
          what += "via " + p["gateway"].get<std::string>() + " ";
        }
        if (!p["interface"].is_null()) {
          what += "dev " + p["interface"].get<std::string>();
        }
      }
    }
    if (r.contains("reason")) {
      what += (what.empty() ? "" : "  ") + std::string("(") + r["reason"].get<std::string>() + ")";
    }
    out += fmt::format(
        "{:<44} {:>6} {:<10} {:<15} {}\n",
        r["prefix"].get<std::string>(),
        r["table"].get<uint32_t>(),
        str(r, "protocol"),
        r["state"].get<std::string>(),
        what);
  }
  out += fmt::format(
      "{} of {} matching routes shown\n",
      j.at("shown").get<size_t>(),
      j.at("matched").get<size_t>());
  return out;
}

std::string render(const json& j) {
  if (!j.value("enabled", false)) {
    return "Data path: disabled (dataplane/enabled is false)\n";
  }
  if (j.contains("routes") && j["routes"].is_array()) {
    return renderRoutes(j);
  }
  std::string out;
  const auto& fpm = j.at("fpm");
  out += fmt::format("FPM session: {}", fpm.value("connected", false) ? "up" : "down");
  if (fpm.value("connected", false)) {
    out += fmt::format(" (zebra {}, {:.0f} s)", str(fpm, "peer"), fpm.value("upSeconds", 0.0));
  }
  out += fmt::format(
      ", listening on {}{}\n",
      str(fpm, "listen"),
      fpm.value("listening", false) ? "" : " (NOT listening: " + str(fpm, "listenError") + ")");
  const auto& rp = fpm.at("replay");
  out += fmt::format(
      "  state {}, generation {}, last replay {} s ({}), frames {}, bytes {}, resets {}, read "
      "pauses {}\n",
      str(fpm, "session"),
      str(rp, "generation"),
      str(rp, "lastReplaySeconds"),
      str(rp, "lastEnd"),
      str(fpm, "frames", "0"),
      str(fpm, "bytes", "0"),
      str(fpm, "resets", "0"),
      str(fpm, "pauses", "0"));
  if (fpm.contains("errors") && !fpm["errors"].empty()) {
    out += "  malformed input:";
    for (const auto& [k, v] : fpm["errors"].items()) {
      out += fmt::format(" {}={}", k, v.dump());
    }
    out += "\n";
  }
  const auto& m = j.at("mirror");
  out += fmt::format(
      "Mirror of zebra's FIB: {} routes, {} next hops, {} held\n",
      m.at("routes").dump(),
      m.at("nexthops").dump(),
      m.at("held").dump());
  const auto& be = j.at("backend");
  out += fmt::format(
      "Backend: {} {}",
      str(be, "backend"),
      be.value("ready", false) ? "ready" : "NOT ready (" + str(be, "error") + ")");
  if (be.contains("netns")) {
    out += fmt::format(
        ", netns {}, table {}, metric {}", str(be, "netns"), str(be, "table"), str(be, "metric"));
  }
  out += "\n";
  const auto& rs = j.at("routes");
  out += "Routes by state:";
  for (const char* s :
       {"offloaded",
        "trap",
        "software",
        "offload-failed",
        "rejected",
        "refused",
        "held",
        "pending",
        "stale"}) {
    out += fmt::format(" {} {}", s, rs.value(s, 0));
  }
  out += "\n";
  const auto& p = j.at("profile");
  std::string families;
  if (p.contains("addressFamilies") && p["addressFamilies"].size() == 1) {
    families = p["addressFamilies"][0] == "ipv4" ? " of IPv4 only" : " of IPv6 only";
  }
  out += fmt::format(
      "Switch profile: {} (driver {}, offload {}{}), warning at {}%\n",
      str(p, "name"),
      str(p, "driver"),
      p.value("offload", false) ? "expected" : "none",
      p.value("offload", false) ? families : "",
      str(p, "warningThreshold"));
  if (p.value("softwareOnly", 0) > 0) {
    out += fmt::format(
        "  {} routes of a family the driver does not offload: forwarded in software\n",
        p["softwareOnly"].dump());
  }
  out += fmt::format("  {:<14} {:>10} {:>10} {:>7}\n", "Resource", "Used", "Capacity", "Use");
  for (const auto& u : p.at("usage")) {
    out += fmt::format(
        "  {:<14} {:>10} {:>10} {:>7}{}\n",
        u["resource"].get<std::string>(),
        u["used"].dump(),
        u["capacity"].is_null() ? "-" : u["capacity"].dump(),
        u["percent"].is_null() ? "-" : fmt::format("{:.1f}%", u["percent"].get<double>()),
        u.value("warning", false) ? "  WARNING" : "");
  }
  const auto& b = j.at("backlog");
  out += fmt::format(
      "Backlog: {} queued, {} in flight, {} retrying (pause reading zebra at {}){}\n",
      b.at("queued").dump(),
      b.at("inFlight").dump(),
      b.at("retrying").dump(),
      b.at("max").dump(),
      b.value("readPaused", false) ? ": READING PAUSED" : "");
  return out;
}

}  // namespace

HR_REGISTER_RENDERER(dataplane, render);
