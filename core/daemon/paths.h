// Where an instance lives, FRR's pathspace way (`-N NAME`): several switches (lab ToRs) on
// one machine each get their own config, sockets and pid files.
//
//   config        /etc/frr-hostroute[/NAME]/hostroute.json (or .xml)
//   sockets, pids /run/frr-hostroute[/NAME]/<daemon>.sock, <daemon>.pid
//   zebra         /var/run/frr[/NAME]/zserv.api
//
// NAME becomes one directory level in each of those paths, so it is checked first
// (checkInstanceName): letters, digits, '_', '.', '-', at most kMaxInstanceName characters,
// never "." or anything containing ".." (no way out of the directories above).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hr {

constexpr size_t kMaxInstanceName = 64;

// Ok for "" (the unnamed default instance) and for a valid NAME; otherwise an error
// (code daemon.bad_instance) that quotes the name and says what is allowed.
Status checkInstanceName(std::string_view name);

struct InstancePaths {
  std::string instance;  // "" = the unnamed default instance
  std::string confDir;
  std::string runDir;
  std::string zservPath;

  // `name` must have passed checkInstanceName.
  static InstancePaths forInstance(const std::string& name);

  // confDir/hostroute.json if it exists, else confDir/hostroute.xml if that exists, else
  // confDir/hostroute.json (absent: the daemon runs on defaults).
  std::string defaultConfigFile() const;
  std::string socketPath(std::string_view daemon) const;
  std::string pidFile(std::string_view daemon) const;
};

}  // namespace hr
