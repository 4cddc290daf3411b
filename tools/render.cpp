#include "tools/render.h"

#include <fmt/format.h>

#include <map>
#include <sstream>

namespace hr::cli {

std::string renderGeneric(const nlohmann::json& j, int indent) {
  std::ostringstream out;
  std::string pad(static_cast<size_t>(indent), ' ');
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_structured() && !v.empty()) {
        out << pad << k << ":\n" << renderGeneric(v, indent + 2);
      } else {
        out << pad << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
      }
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (v.is_structured()) {
        out << pad << "-\n" << renderGeneric(v, indent + 2);
      } else {
        out << pad << "- " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
      }
    }
  } else {
    out << pad << (j.is_string() ? j.get<std::string>() : j.dump()) << "\n";
  }
  return out.str();
}

std::string unreachableState(const nlohmann::json& entry) {
  std::string code = entry.value("code", "");
  if (code == "ipc.not_running") {
    return "not running";
  }
  if (code == "ipc.timeout") {
    return "not responding";
  }
  if (code == "ipc.permission") {
    return "permission denied";
  }
  return "error";
}

std::string renderStatus(const nlohmann::json& perDaemon) {
  constexpr auto kRow = "{:<20} {:<17} {:>8} {:>10} {:>6}  {}\n";
  std::string out = fmt::format(kRow, "Daemon", "State", "Pid", "Uptime(s)", "CfgGen", "Config");
  for (const auto& [name, s] : perDaemon.items()) {
    if (s.contains("error")) {
      auto state = unreachableState(s);
      out += fmt::format(kRow, name, state, "-", "-", "-", "-");
      if (state != "not running") {
        out += fmt::format("{:<20} {}\n", "", s.at("error").get<std::string>());
      }
      continue;
    }
    const auto& cfg = s.at("config");
    std::string file = cfg.at("file").get<std::string>();
    if (!cfg.at("present").get<bool>()) {
      file += " (absent: defaults)";
    }
    out += fmt::format(
        kRow,
        name,
        "running",
        s.at("pid").get<int>(),
        s.at("uptimeSeconds").get<long>(),
        cfg.at("generation").get<long>(),
        file);
    if (!cfg.at("lastReloadError").is_null()) {
      out += fmt::format(
          "{:<20} last reload refused: {}\n", "", cfg.at("lastReloadError").get<std::string>());
    }
  }
  return out;
}

std::string renderCounters(const nlohmann::json& perDaemon) {
  std::string out;
  for (const auto& [name, c] : perDaemon.items()) {
    if (c.contains("error")) {
      out +=
          fmt::format("{}: {}: {}\n", name, unreachableState(c), c.at("error").get<std::string>());
      continue;
    }
    for (const auto& [k, v] : c.items()) {
      out += fmt::format("{:<64} {:>14}\n", k, v.dump());
    }
  }
  return out;
}

namespace {
std::map<std::string, Renderer>& renderers() {
  static std::map<std::string, Renderer> m;
  return m;
}
}  // namespace

bool registerRenderer(const std::string& topic, Renderer r) {
  renderers()[topic] = r;
  return true;
}

std::string renderText(const std::string& topic, const nlohmann::json& j) {
  auto it = renderers().find(topic);
  return it != renderers().end() ? it->second(j) : renderGeneric(j);
}

}  // namespace hr::cli
