// Where an instance lives, FRR's pathspace way (`-N NAME`): several switches (lab ToRs) on
// one machine each get their own config, sockets and pid files.
//
//   config        /etc/frr-hostroute[/NAME]/hostroute.json (or .xml)
//   sockets, pids /run/frr-hostroute[/NAME]/<daemon>.sock, <daemon>.pid
//   zebra         /var/run/frr[/NAME]/zserv.api
#pragma once

#include <string>
#include <string_view>

namespace hr {

struct InstancePaths {
  std::string instance;  // "" = the unnamed default instance
  std::string confDir;
  std::string runDir;
  std::string zservPath;

  static InstancePaths forInstance(const std::string& name);

  // confDir/hostroute.json if it exists, else confDir/hostroute.xml if that exists, else
  // confDir/hostroute.json (absent: the daemon runs on defaults).
  std::string defaultConfigFile() const;
  std::string socketPath(std::string_view daemon) const;
  std::string pidFile(std::string_view daemon) const;
};

}  // namespace hr
