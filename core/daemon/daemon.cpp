#include "core/daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/assert.h"
#include "core/log.h"

#ifndef HR_YANG_DIR_DEFAULT
#define HR_YANG_DIR_DEFAULT "/usr/share/frr-hostroute/yang"
#endif
#ifndef HR_VERSION
#define HR_VERSION "0.0.0"
#endif

namespace hr {

std::string defaultYangDir() {
  if (const char* env = std::getenv("HR_YANG_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  return HR_YANG_DIR_DEFAULT;
}

Daemon::Daemon(std::string name, std::string description)
    : name_(std::move(name)), app_(std::move(description), name_), counters_(name_) {
  app_.add_option(
      "-N,--pathspace",
      instance_,
      "Instance name (FRR pathspace): config in /etc/frr-hostroute/NAME/, sockets in "
      "/run/frr-hostroute/NAME/");
  app_.add_option(
      "-c,--config", configOpt_, "Config file (.json or .xml); default <confdir>/hostroute.json");
  app_.add_option("--yang-dir", yangDir_, "Directory of the frr-hostroute YANG modules")
      ->default_str(defaultYangDir());
  app_.add_option("--run-dir", runDirOpt_, "Directory for the control socket and pid file");
  app_.add_option(
      "--zserv", zservOpt_, "zebra's ZAPI socket (default /var/run/frr[/NAME]/zserv.api)");
  app_.add_option(
      "--log-level", logLevel_, "trace|debug|info|warning|error (overrides the config)");
  app_.add_option("--log-target", logTarget_, "auto|stderr|journald")->default_str("auto");
  app_.add_option(
      "--debug",
      debug_,
      "Debug categories to switch on: packets, zapi, netlink, fpm, vrrp, ipc, config");
  app_.add_flag_callback(
      "--version",
      [] {
        std::printf("%s\n", HR_VERSION);
        std::exit(0);
      },
      "Print the version and exit");
}

Daemon::~Daemon() {
  control_.reset();
  if (!pidPath_.empty() && pidFd_) {
    ::unlink(pidPath_.c_str());
  }
}

void Daemon::addShow(const std::string& topic, const std::string& help, ShowFn fn) {
  shows_[topic] = Show{help, std::move(fn)};
}

void Daemon::addCommand(const std::string& name, const std::string& help, CommandFn fn) {
  commands_[name] = Command{help, std::move(fn)};
}

std::optional<int> Daemon::parse(int argc, char** argv) {
  try {
    app_.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app_.exit(e);
  }
  return std::nullopt;
}

Status Daemon::writePidFile() {
  pidPath_ = paths_.pidFile(name_);
  pidFd_ = Fd(::open(pidPath_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!pidFd_) {
    return fail("daemon.pidfile", "cannot open pid file {}: {}", pidPath_, strerror(errno));
  }
  if (::flock(pidFd_.get(), LOCK_EX | LOCK_NB) < 0) {
    char buf[32] = {};
    ssize_t n = ::read(pidFd_.get(), buf, sizeof(buf) - 1);
    (void)n;
    pidFd_.reset();
    std::string other = buf;
    pidPath_.clear();
    return fail(
        "daemon.running",
        "another {} already runs for this instance (pid {})",
        name_,
        other.empty() ? "?" : other.substr(0, other.find('\n')));
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(pidFd_.get(), 0) < 0 || ::pwrite(pidFd_.get(), pid.data(), pid.size(), 0) < 0) {
    return fail("daemon.pidfile", "cannot write pid file {}: {}", pidPath_, strerror(errno));
  }
  return ok();
}

// The configured log level (--log-level, else the document's logging/level) and the debug
// categories (--debug plus the document's logging/debug). A category switched on at runtime
// with `debug CATEGORY on` lasts until the next commit.
void Daemon::applyLogging(const config::DataTree& tree) {
  std::string level = logLevel_;
  std::vector<std::string> cats = debug_;
  if (auto root = tree.root("frr-hostroute", "hostroute")) {
    if (auto lg = root->child("logging")) {
      if (level.empty()) {
        level = lg->str("level", "info");
      }
      for (auto& c : lg->leafList("debug")) {
        cats.push_back(c);
      }
    }
  }
  if (auto l = log::parseLevel(level.empty() ? "info" : level)) {
    log::setLevel(*l);
  }
  for (auto name : log::debugNames()) {
    log::setDebug(*log::parseDebug(name), false);
  }
  for (const auto& c : cats) {
    if (auto d = log::parseDebug(c)) {
      log::setDebug(*d, true);
    }
  }
}

Status Daemon::init() {
  auto target = log::parseTarget(logTarget_);
  if (!target) {
    return fail(target.error());
  }
  auto level = log::parseLevel(logLevel_.empty() ? "info" : logLevel_);
  if (!level) {
    return fail(level.error());
  }
  log::init(name_, *target, *level);
  for (const auto& c : debug_) {
    if (!log::parseDebug(c)) {
      return fail(
          "daemon.bad_debug",
          "unknown debug category '{}' (categories: packets zapi netlink fpm vrrp ipc config)",
          c);
    }
  }
  HR_TRY_VOID(checkInstanceName(instance_));

  paths_ = InstancePaths::forInstance(instance_);
  if (!runDirOpt_.empty()) {
    paths_.runDir = runDirOpt_;
  }
  if (!zservOpt_.empty()) {
    paths_.zservPath = zservOpt_;
  }
  configExplicit_ = !configOpt_.empty();
  configFile_ = configExplicit_ ? configOpt_ : paths_.defaultConfigFile();
  if (yangDir_.empty()) {
    yangDir_ = defaultYangDir();
  }

  std::error_code ec;
  std::filesystem::create_directories(paths_.runDir, ec);
  if (ec) {
    return fail("daemon.rundir", "cannot create run directory {}: {}", paths_.runDir, ec.message());
  }
  HR_TRY_VOID(writePidFile());

  HR_TRY(yang_, config::YangContext::load(yangDir_));
  HR_TRY(loop_, EventLoop::create());

  // First commit: refuse to start on a missing (-c) or invalid config.
  HR_TRY(bool fromFile, candidateSource());
  config::DataTree tree;
  auto apply = loadCandidate(fromFile, tree);
  if (!apply) {
    return fail("config.invalid", "invalid configuration, not starting:\n{}", apply.error().str());
  }
  (*apply)();
  config_ = std::move(tree);
  haveConfigFile_ = fromFile;
  configGeneration_ = 1;
  applyLogging(config_);
  if (!haveConfigFile_) {
    spdlog::warn("event=no_config file={} action=\"running on defaults\"", configFile_);
  }

  HR_TRY(control_, ipc::ControlServer::listen(*loop_, paths_.socketPath(name_), counters_));
  control_->onMessage([this](ipc::Channel& ch, const ipc::Envelope& e) { handleMessage(ch, e); });
  control_->onDisconnect([this](ipc::Channel& ch) {
    for (auto& fn : onDisconnect_) {
      fn(ch);
    }
  });

  HR_TRY_VOID(loop_->onSignal(SIGTERM, [this] {
    spdlog::info("event=stopping reason=SIGTERM");
    for (auto& fn : onStop_) {
      fn();
    }
    loop_->stop();
  }));
  HR_TRY_VOID(loop_->onSignal(SIGINT, [this] {
    spdlog::info("event=stopping reason=SIGINT");
    for (auto& fn : onStop_) {
      fn();
    }
    loop_->stop();
  }));
  HR_TRY_VOID(loop_->onSignal(SIGHUP, [this] { (void)reload(); }));
  ::signal(SIGPIPE, SIG_IGN);

  counters_.gauge(
      "internal.bugs",
      "internal invariant violations (HR_BUG); any non-zero value is a bug to report");
  counters_.gauge("loop.slow_handlers", "event-loop handlers that ran longer than 100 ms");
  counters_.counter("config.reloads", "configurations applied after start-up");
  counters_.counter("config.reload_failures", "reloads refused (the running configuration stayed)");
  return ok();
}

Result<bool> Daemon::candidateSource() {
  if (!configExplicit_) {
    configFile_ = paths_.defaultConfigFile();  // .json or .xml, whichever exists now
  }
  std::error_code ec;
  auto st = std::filesystem::status(configFile_, ec);
  if (st.type() == std::filesystem::file_type::not_found) {
    if (haveConfigFile_) {
      return fail(
          "config.missing",
          "config file {} has gone (the running configuration was read from it)",
          configFile_);
    }
    if (configExplicit_) {
      return fail("config.missing", "config file {} (given with -c) does not exist", configFile_);
    }
    return false;  // the implicit default path, never there: the YANG defaults
  }
  if (ec) {
    return fail(
        "config.unreadable", "cannot look at config file {}: {}", configFile_, ec.message());
  }
  if (st.type() != std::filesystem::file_type::regular) {
    return fail("config.unreadable", "config file {} is not a regular file", configFile_);
  }
  if (::access(configFile_.c_str(), R_OK) != 0) {
    return fail(
        "config.unreadable", "cannot read config file {}: {}", configFile_, strerror(errno));
  }
  return true;
}

config::ConfigResult<Daemon::ApplyFn> Daemon::loadCandidate(bool fromFile, config::DataTree& out) {
  auto tree = fromFile ? config::parseFile(yang_, configFile_) : config::emptyTree(yang_);
  if (!tree) {
    return Unexpected<config::ConfigError>(std::move(tree).error());
  }
  std::vector<ApplyFn> applies;
  config::ConfigError err{configFile_, {}};
  for (auto& prepare : prepare_) {
    auto p = prepare(*tree);
    if (!p) {
      for (auto& issue : p.error().issues) {
        err.issues.push_back(std::move(issue));
      }
    } else {
      applies.push_back(std::move(*p));
    }
  }
  if (!err.issues.empty()) {
    return Unexpected<config::ConfigError>(std::move(err));
  }
  out = std::move(*tree);
  return ApplyFn([applies = std::move(applies)] {
    for (const auto& apply : applies) {
      apply();
    }
  });
}

Result<std::string> Daemon::refuseReload(const std::string& code, const std::string& why) {
  ++counters_.counter("config.reload_failures");
  lastReloadError_ = why;
  sd_notify(0, "READY=1");
  return fail(code, "configuration refused, the running configuration stays:\n{}", why);
}

Result<std::string> Daemon::reload() {
  sd_notify(0, "RELOADING=1");
  auto fromFile = candidateSource();
  if (!fromFile) {
    spdlog::error(
        "event=config_refused file={} code={} reason=\"{}\" action=\"running config kept\"",
        configFile_,
        fromFile.error().code,
        fromFile.error().message);
    return refuseReload(fromFile.error().code, fromFile.error().message);
  }
  config::DataTree tree;
  auto apply = loadCandidate(*fromFile, tree);
  if (!apply) {
    for (const auto& issue : apply.error().issues) {
      spdlog::error(
          "event=config_refused file={} code=config.invalid path={} reason=\"{}\" action=\"running "
          "config kept\"",
          configFile_,
          issue.path,
          issue.message);
    }
    return refuseReload("config.invalid", apply.error().str());
  }
  (*apply)();
  config_ = std::move(tree);
  haveConfigFile_ = *fromFile;
  ++configGeneration_;
  lastReloadError_.reset();
  applyLogging(config_);
  ++counters_.counter("config.reloads");
  if (!haveConfigFile_) {
    spdlog::warn("event=no_config file={} action=\"running on defaults\"", configFile_);
  }
  spdlog::info(
      "event=config_applied file={} generation={}{}",
      configFile_,
      configGeneration_,
      haveConfigFile_ ? "" : " source=defaults");
  sd_notify(0, "READY=1");
  return fmt::format(
      "configuration {} applied (generation {}){}",
      configFile_,
      configGeneration_,
      haveConfigFile_ ? "" : " from the YANG defaults: no config file");
}

nlohmann::json Daemon::statusJson() const {
  auto up =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count();
  nlohmann::json j = {
      {"daemon", name_},
      {"instance", paths_.instance},
      {"pid", ::getpid()},
      {"version", HR_VERSION},
      {"uptimeSeconds", up},
      {"config",
       {{"file", configFile_},
        {"present", haveConfigFile_},
        {"generation", configGeneration_},
        {"lastReloadError",
         lastReloadError_ ? nlohmann::json(*lastReloadError_) : nlohmann::json(nullptr)}}},
      {"controlConnections", control_ ? control_->connections() : 0},
      {"debug", log::debugEnabledNames()},
  };
  nlohmann::json topics = nlohmann::json::array();
  for (const auto& [t, s] : shows_) {
    topics.push_back(t);
  }
  j["topics"] = topics;
  return j;
}

void Daemon::handleMessage(ipc::Channel& ch, const ipc::Envelope& e) {
  ipc::Envelope reply;
  reply.set_id(e.id());
  switch (e.body_case()) {
    case ipc::Envelope::kHello: {
      ch.setPeerDaemon(e.hello().daemon());
      HR_DEBUG(Ipc, "event=ipc_hello peer={} pid={}", e.hello().daemon(), e.hello().pid());
      auto* h = reply.mutable_hello();
      h->set_daemon(name_);
      h->set_instance(paths_.instance);
      h->set_pid(static_cast<uint32_t>(::getpid()));
      h->set_version(HR_VERSION);
      ch.send(reply);
      return;
    }
    case ipc::Envelope::kSubscribe:
      for (const auto& t : e.subscribe().topics()) {
        if (!ch.subscribed(t)) {
          ch.subscriptions().push_back(t);
        }
      }
      for (auto& fn : onMessage_) {
        fn(ch, e);  // a part may push an initial snapshot
      }
      return;
    case ipc::Envelope::kShow: {
      auto* r = reply.mutable_show_reply();
      const auto& topic = e.show().topic();
      std::vector<std::string> args(e.show().args().begin(), e.show().args().end());
      Result<nlohmann::json> out = fail("show.unknown_topic", "{} has no topic '{}'", name_, topic);
      if (topic == "status") {
        out = statusJson();
      } else if (topic == "counters") {
        counters_.gauge("internal.bugs").set(bugCount());
        counters_.gauge("loop.slow_handlers").set(loop_->slowHandlers());
        out = args.empty() || args[0] != "describe" ? counters_.toJson() : counters_.describe();
      } else if (topic == "config") {
        out = nlohmann::json::parse(
            config_.toJson(!args.empty() && args[0] == "with-defaults"), nullptr, false);
      } else if (auto it = shows_.find(topic); it != shows_.end()) {
        out = it->second.fn(args);
      }
      if (out) {
        r->set_ok(true);
        r->set_json(out->dump());
      } else {
        r->set_ok(false);
        r->set_error(out.error().message);
      }
      ch.send(reply);
      return;
    }
    case ipc::Envelope::kCommand: {
      auto* r = reply.mutable_command_reply();
      const auto& cmd = e.command().command();
      std::vector<std::string> args(e.command().args().begin(), e.command().args().end());
      Result<std::string> out = fail("command.unknown", "{} has no command '{}'", name_, cmd);
      if (cmd == "reload") {
        out = reload();
      } else if (cmd == "debug") {
        if (args.size() != 2 || !log::parseDebug(args[0]) ||
            (args[1] != "on" && args[1] != "off")) {
          out = fail(
              "command.usage",
              "usage: debug CATEGORY on|off (categories: packets zapi netlink fpm vrrp ipc "
              "config)");
        } else {
          // While any category is on, the log level is lowered to debug so its lines show;
          // once none is on, the configured level is back (log::setDebug).
          log::setDebug(*log::parseDebug(args[0]), args[1] == "on");
          out = fmt::format(
              "debug {} {} (log level {})",
              args[0],
              args[1],
              log::levelName(log::effectiveLevel()));
        }
      } else if (cmd == "log-level") {
        auto l = args.size() == 1 ? log::parseLevel(args[0])
                                  : fail("command.usage", "usage: log-level LEVEL");
        if (l) {
          log::setLevel(*l);
          out = fmt::format(
              "log level {}{}",
              args[0],
              log::effectiveLevel() != *l ? " (debug while a debug category is on)" : "");
        } else {
          out = fail(l.error());
        }
      } else if (auto it = commands_.find(cmd); it != commands_.end()) {
        out = it->second.fn(args);
      }
      r->set_ok(out.has_value());
      r->set_message(out ? *out : out.error().message);
      ch.send(reply);
      return;
    }
    default:
      for (auto& fn : onMessage_) {
        fn(ch, e);
      }
      return;
  }
}

int Daemon::run() {
  spdlog::info(
      "event=started instance={} config={} socket={} pid={}",
      paths_.instance.empty() ? "(default)" : paths_.instance,
      configFile_,
      control_->path(),
      ::getpid());
  sd_notify(0, "READY=1");
  loop_->run();
  sd_notify(0, "STOPPING=1");
  spdlog::info("event=stopped");
  return 0;
}

}  // namespace hr
