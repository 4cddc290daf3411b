// Daemon: what every frr-hostroute daemon shares, so each *_main.cpp is wiring only.
//
//  - command line: -N NAME, -c/--config, --yang-dir, --run-dir, --zserv, --log-level,
//    --log-target, --debug (each path also explicit);
//  - logging (stderr or journald), the pid file (one daemon per instance), the event loop;
//  - signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the config;
//  - config commits: parse + YANG-validate the whole candidate, let the daemon check its own
//    part and return an apply step that cannot fail, then apply (CONVENTIONS §6). At start-up
//    an invalid config exits non-zero naming the data path and reason; on reload it is
//    refused and the running config stays. Only the implicit default file may be absent
//    (then the YANG defaults apply): a missing `-c FILE` refuses the start, and a reload
//    whose file has gone (or cannot be read) is refused like an invalid one;
//  - the control socket with the built-in topics: show status|counters|config and the
//    commands reload, debug CATEGORY on|off, log-level LEVEL; daemons add their own;
//  - sd_notify: READY=1 after the first config is applied, RELOADING=1, STOPPING=1.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/config/yang.h"
#include "core/counters.h"
#include "core/daemon/paths.h"
#include "core/event_loop.h"
#include "core/fd.h"
#include "core/ipc/channel.h"
#include "core/result.h"

namespace hr {

// The default YANG directory: HR_YANG_DIR in the environment, else the compiled-in path.
std::string defaultYangDir();

class Daemon {
 public:
  // Checks the daemon's part of a candidate document and returns the step that applies it.
  using ApplyFn = std::function<void()>;
  using PrepareFn = std::function<config::ConfigResult<ApplyFn>(const config::DataTree&)>;
  using ShowFn = std::function<Result<nlohmann::json>(const std::vector<std::string>& args)>;
  using CommandFn = std::function<Result<std::string>(const std::vector<std::string>& args)>;
  using MessageFn = std::function<void(ipc::Channel&, const ipc::Envelope&)>;

  Daemon(std::string name, std::string description);
  ~Daemon();

  CLI::App& cli() {
    return app_;
  }
  // Each part of a daemon adds its own handlers; the Daemon runs all of them, in the order
  // they were added.
  //
  // Config: a commit prepares every part (collecting every part's issues) and applies them
  // only if all succeeded, so a document is applied whole or not at all.
  void addConfigHandler(PrepareFn fn) {
    prepare_.push_back(std::move(fn));
  }
  void addShow(const std::string& topic, const std::string& help, ShowFn fn);
  void addCommand(const std::string& name, const std::string& help, CommandFn fn);
  // Envelopes other than Hello/Show/Command (route intents, status, ...), and Subscribe
  // after the built-in bookkeeping. Every handler sees every message and ignores the ones it
  // does not own.
  void onMessage(MessageFn fn) {
    onMessage_.push_back(std::move(fn));
  }
  void onDisconnect(std::function<void(ipc::Channel&)> fn) {
    onDisconnect_.push_back(std::move(fn));
  }
  // Runs on SIGTERM before the loop stops (e.g. a final message to a peer).
  void onStop(std::function<void()> fn) {
    onStop_.push_back(std::move(fn));
  }

  // Parses the command line. Returns an exit code when the program should exit now (--help,
  // bad arguments).
  std::optional<int> parse(int argc, char** argv);
  // Logging, run dir, pid file, loop, control socket, signals, and the first config commit.
  // On error the caller prints it and exits non-zero.
  Status init();
  // Reports ready, runs the loop until SIGTERM, cleans up. Returns the exit code.
  int run();

  // Re-reads the config file: validate, prepare, apply. Errors leave the running config.
  Result<std::string> reload();

  const std::string& name() const {
    return name_;
  }
  EventLoop& loop() {
    return *loop_;
  }
  Counters& counters() {
    return counters_;
  }
  ipc::ControlServer& control() {
    return *control_;
  }
  const InstancePaths& paths() const {
    return paths_;
  }
  const std::string& configFile() const {
    return configFile_;
  }
  const std::shared_ptr<config::YangContext>& yang() const {
    return yang_;
  }
  const config::DataTree& config() const {
    return config_;
  }
  std::chrono::steady_clock::time_point startedAt() const {
    return started_;
  }

 private:
  // Where the next candidate comes from: true = the config file, false = the YANG defaults
  // (only when the implicit default file is absent and no file was ever loaded). Errors:
  // config.missing, config.unreadable.
  Result<bool> candidateSource();
  config::ConfigResult<ApplyFn> loadCandidate(bool fromFile, config::DataTree& out);
  // Refuses a reload: logs it, counts it, keeps it for `show status`.
  Result<std::string> refuseReload(const std::string& code, const std::string& why);
  void handleMessage(ipc::Channel& ch, const ipc::Envelope& e);
  void applyLogging(const config::DataTree& tree);
  nlohmann::json statusJson() const;
  Status writePidFile();

  std::string name_;
  CLI::App app_;
  std::string instance_;
  std::string configOpt_;
  bool configExplicit_ = false;  // -c FILE given: the file must exist
  std::string yangDir_;
  std::string runDirOpt_;
  std::string zservOpt_;
  std::string logLevel_ = "";
  std::string logTarget_ = "auto";
  std::vector<std::string> debug_;

  InstancePaths paths_;
  std::string configFile_;
  Counters counters_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ipc::ControlServer> control_;
  std::shared_ptr<config::YangContext> yang_;
  config::DataTree config_;
  uint64_t configGeneration_ = 0;
  std::optional<std::string> lastReloadError_;
  bool haveConfigFile_ = false;
  Fd pidFd_;
  std::string pidPath_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  std::vector<PrepareFn> prepare_;
  struct Show {
    std::string help;
    ShowFn fn;
  };
  struct Command {
    std::string help;
    CommandFn fn;
  };
  std::map<std::string, Show> shows_;
  std::map<std::string, Command> commands_;
  std::vector<MessageFn> onMessage_;
  std::vector<std::function<void(ipc::Channel&)>> onDisconnect_;
  std::vector<std::function<void()>> onStop_;
};

}  // namespace hr
