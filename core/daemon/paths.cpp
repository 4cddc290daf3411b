#include "core/daemon/paths.h"

#include <filesystem>

namespace hr {

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
