// FrrProbe: asks the local FRR what fpm_client needs to know and cannot learn over ZAPI, by
// running FRR's own binaries as child processes on the event loop (never blocking it):
//
//  - the version of the zebra that runs: `<zebra binary> --version`, where the binary is the
//    one the running zebra executes (/proc/<pid from zebra.pid>/exe), else /usr/lib/frr/zebra.
//    ZAPI command numbers change between FRR releases without a protocol version bump, so
//    the session refuses to start on a release we have no command table for;
//  - the running configuration (`vtysh [-N NAME] -c 'show running-config'`), which the FRR
//    config check reads (redistribute table, route-maps of the move signal).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/codec/zapi.h"
#include "core/event_loop.h"
#include "core/fd.h"
#include "core/result.h"

namespace hr::fpm_client {

// One child process whose stdout+stderr is collected without blocking the loop. Destroying
// it kills the child (SIGKILL, by pid) if it still runs.
class ChildProcess {
 public:
  using Done = std::function<void(Result<std::string> output)>;
  static Result<std::unique_ptr<ChildProcess>> run(
      EventLoop& loop,
      const std::vector<std::string>& argv,
      std::chrono::milliseconds timeout,
      Done done);
  // Only run() constructs one (a passkey instead of a private constructor, for make_unique).
  class Key {
    friend class ChildProcess;
    Key() = default;
  };
  ChildProcess(Key, EventLoop& loop, Done done)
      : loop_(loop), done_(std::move(done)), timer_(loop, [this] { onTimer(); }) {}
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

 private:
  void onReadable();
  void finish(Result<std::string> r);
  void onTimer();
  void reap();

  EventLoop& loop_;
  Done done_;
  Timer timer_;
  Fd out_;
  pid_t pid_ = -1;
  std::string buf_;
  std::string what_;
  TimePoint deadline_{};
  bool eof_ = false;
  bool finished_ = false;
  int status_ = 0;
};

class FrrProbe {
 public:
  struct Version {
    codec::zapi::FrrVersion version;
    std::string source;  // how it was found, for show zebra and the logs
  };
  using VersionDone = std::function<void(Result<Version>)>;
  using ConfigDone = std::function<void(Result<std::string>)>;

  // instance: the FRR pathspace (-N) or ""; zservPath: zebra's socket (its directory holds
  // zebra.pid). forcedVersion: skip detection (fpm_client --frr-version).
  FrrProbe(EventLoop& loop, std::string instance, std::string zservPath, std::string forcedVersion);

  void detectVersion(VersionDone done);
  void runningConfig(ConfigDone done);

  // The zebra binary whose version counts, and a note when it was replaced on disk.
  std::pair<std::string, std::string> zebraBinary() const;

 private:
  EventLoop& loop_;
  std::string instance_;
  std::string zservPath_;
  std::string forced_;
  std::unique_ptr<ChildProcess> versionChild_;
  std::unique_ptr<ChildProcess> configChild_;
};

}  // namespace hr::fpm_client
