// Text rendering of `hostroutectl show hosts [ADDRESS]` (the JSON is docs/json.md).
#include <fmt/format.h>

#include <string>

#include "tools/render.h"

namespace {

std::string str(const nlohmann::json& j, const char* k) {
  if (!j.contains(k) || j.at(k).is_null()) {
    return "-";
  }
  const auto& v = j.at(k);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string age(long long ms) {
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  long long s = ms / 1000;
  if (s < 120) {
    return fmt::format("{}s", s);
  }
  if (s < 7200) {
    return fmt::format("{}m{:02}s", s / 60, s % 60);
  }
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

std::string flags(const nlohmann::json& h) {
  std::string f;
  auto add = [&](const char* k, const char* label) {
    if (h.value(k, false)) {
      f += f.empty() ? label : std::string(",") + label;
    }
  };
  add("duplicate", "DUP");
  add("frozen", "FROZEN");
  add("foreignSubnet", "foreign");
  add("remoteRoute", "remote");
  add("shared", "shared");
  add("contested", "contested");
  return f.empty() ? "-" : f;
}

std::string renderOne(const nlohmann::json& h) {
  std::string out;
  if (!h.value("learned", true) && h.contains("refused")) {
    const auto& r = h.at("refused");
    out += fmt::format(
        "Host {} (VRF {}) is NOT learned: {}\n",
        str(h, "address"),
        h.value("vrf", "").empty() ? "default" : str(h, "vrf"),
        str(r, "reason"));
    out += fmt::format(
        "  last seen {} ago on {} from MAC {} ({}), {} times since {} ago\n",
        age(r.value("lastSeenMsAgo", 0LL)),
        str(r, "interface"),
        str(r, "mac"),
        str(r, "source"),
        str(r, "count"),
        age(r.value("firstSeenMsAgo", 0LL)));
    return out;
  }
  out += fmt::format(
      "Host {} (VRF {})\n",
      str(h, "address"),
      h.value("vrf", "").empty() ? "default" : str(h, "vrf"));
  out += fmt::format(
      "  MAC {}  interface {}  port {}\n", str(h, "mac"), str(h, "interface"), str(h, "port"));
  out += fmt::format(
      "  state {} ({})  moves {}  flags {}\n",
      str(h, "state"),
      str(h, "reason"),
      str(h, "moves"),
      flags(h));
  out += fmt::format(
      "  route: {}  zebra: {}\n",
      h.value("published", false) ? "published" : "not published",
      str(h, "zebra"));
  out += fmt::format(
      "  first seen {} ago, last seen {} ago\n",
      age(h.value("firstSeenMsAgo", 0LL)),
      age(h.value("lastSeenMsAgo", 0LL)));
  if (h.contains("duplicateOf")) {
    const auto& d = h.at("duplicateOf");
    if (d.value("remote", false)) {
      bool first = d.value("role", "") == "first";
      out += fmt::format(
          "  duplicate: another router advertises it ({}) while it answers here; {} ({} times, "
          "last {} ago)\n",
          str(d, "protocol"),
          first ? "this router had it first: kept" : "that router had it first: yielded",
          str(d, "count"),
          age(d.value("lastSeenMsAgo", 0LL)));
    } else {
      out += fmt::format(
          "  duplicate: MAC {} on {} port {} claims it ({} times, last {} ago)\n",
          str(d, "mac"),
          str(d, "interface"),
          str(d, "port"),
          str(d, "count"),
          age(d.value("lastSeenMsAgo", 0LL)));
    }
  }
  if (h.contains("dualAttached")) {
    const auto& d = h.at("dualAttached");
    out += fmt::format(
        "  dual-attached interface (peer {}){}\n",
        str(d, "peer"),
        d.value("memberPort", false) ? "" : ": not on a member port, never shared");
  }
  if (h.contains("frozenForSeconds")) {
    out += fmt::format(
        "  frozen: {} (release: hostroutectl clear host {} freeze)\n",
        h.at("frozenForSeconds").is_null()
            ? std::string("until cleared")
            : fmt::format("{} s left", h.at("frozenForSeconds").get<long long>()),
        str(h, "address"));
  }
  if (h.contains("timeline")) {
    out += "  timeline (oldest first):\n";
    for (const auto& e : h.at("timeline")) {
      std::string count =
          e.contains("count") ? fmt::format(" (x{})", e.at("count").get<int>()) : "";
      out += fmt::format(
          "    {:>9} ago  {:<18} {}{}\n",
          age(e.value("msAgo", 0LL)),
          str(e, "event"),
          str(e, "detail"),
          count);
    }
  }
  return out;
}

std::string renderHosts(const nlohmann::json& j) {
  if (!j.contains("hosts")) {
    return renderOne(j);
  }
  std::string out = fmt::format(
      "{:<8} {:<26} {:<17} {:<10} {:<10} {:>7} {:>5} {:<9} {}\n",
      "VRF",
      "Address",
      "MAC",
      "Interface",
      "State",
      "Age",
      "Moves",
      "Zebra",
      "Flags");
  for (const auto& h : j.at("hosts")) {
    out += fmt::format(
        "{:<8} {:<26} {:<17} {:<10} {:<10} {:>7} {:>5} {:<9} {}\n",
        h.value("vrf", "").empty() ? "default" : str(h, "vrf"),
        str(h, "address"),
        str(h, "mac"),
        str(h, "interface"),
        str(h, "state"),
        age(h.value("firstSeenMsAgo", 0LL)),
        str(h, "moves"),
        h.value("installed", false) ? "installed" : str(h, "zebra"),
        flags(h));
  }
  if (j.contains("summary")) {
    const auto& s = j.at("summary");
    out += fmt::format(
        "{} hosts, {} installed in zebra, {} probing, {} duplicate, {} frozen\n",
        str(s, "hosts"),
        str(s, "installed"),
        str(s, "probing"),
        str(s, "duplicate"),
        str(s, "frozen"));
  }
  return out;
}

}  // namespace

HR_REGISTER_RENDERER(hosts, renderHosts);
