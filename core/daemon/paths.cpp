#include "core/daemon/paths.h"

#include <filesystem>

namespace hr {

Status checkInstanceName(std::string_view name) {
  constexpr std::string_view kAllowed = "letters, digits, '_', '.' and '-'";
  if (name.size() > kMaxInstanceName) {
    return fail(
        "daemon.bad_instance",
        "instance name '{}' is longer than {} characters",
        name,
        kMaxInstanceName);
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) {
      auto shown = c > ' ' && c < 0x7f
                       ? fmt::format("'{}'", c)
                       : fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
      return fail(
          "daemon.bad_instance",
          "instance name '{}' has {}: only {} are allowed",
          name,
          shown,
          kAllowed);
    }
  }
  if (name == "." || name.find("..") != std::string_view::npos) {
    return fail(
        "daemon.bad_instance",
        "instance name '{}' is '.' or contains '..': it names a directory",
        name);
  }
  return ok();
}

InstancePaths InstancePaths::forInstance(const std::string& name) {
  InstancePaths p;
  p.instance = name;
  std::string suffix = name.empty() ? "" : "/" + name;
  p.confDir = "/etc/frr-hostroute" + suffix;
  p.runDir = "/run/frr-hostroute" + suffix;
  p.zservPath = "/var/run/frr" + suffix + "/zserv.api";
  return p;
}

std::string InstancePaths::defaultConfigFile() const {
  std::error_code ec;
  std::string json = confDir + "/hostroute.json";
  std::string xml = confDir + "/hostroute.xml";
  if (!std::filesystem::exists(json, ec) && std::filesystem::exists(xml, ec)) {
    return xml;
  }
  return json;
}

std::string InstancePaths::socketPath(std::string_view daemon) const {
  return runDir + "/" + std::string(daemon) + ".sock";
}

std::string InstancePaths::pidFile(std::string_view daemon) const {
  return runDir + "/" + std::string(daemon) + ".pid";
}

}  // namespace hr
