// hostroutectl: the suite's CLI, in vtysh's habits.
//
//   hostroutectl [-N NAME] show status|counters|config|TOPIC [ARGS...] [--json | json]
//   hostroutectl [-N NAME] reload [DAEMON]
//   hostroutectl [-N NAME] debug CATEGORY on|off [DAEMON]
//   hostroutectl [-N NAME] clear ARGS...              (host learner commands)
//   hostroutectl [-N NAME] command DAEMON CMD [ARGS...]
//   hostroutectl validate FILE
//
// Every `show` is answered by a daemon as JSON over its control socket; --json prints that
// document as is (the documented interface, docs/json.md), otherwise it is rendered as text.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/daemon/daemon.h"
#include "core/daemon/paths.h"
#include "core/ipc/channel.h"
#include "tools/render.h"
#include "tools/validate.h"

namespace {

using hr::ipc::Envelope;

// The suite's daemons that exist today (proxyarp comes with a later issue).
const std::vector<std::string> kDaemons = {"hostroute_learner", "fpm_client", "vrrp_anycast"};
// Which daemon answers which topic.
const std::map<std::string, std::string> kTopicDaemon = {
    {"hosts", "hostroute_learner"},
    {"learning", "hostroute_learner"},
    {"dataplane", "fpm_client"},
    {"zebra", "fpm_client"},
    {"routes", "fpm_client"},
    {"vrrp", "vrrp_anycast"},
};
constexpr auto kTimeout = std::chrono::seconds(10);

struct Ctx {
  hr::InstancePaths paths;
  bool json = false;
};

hr::Result<Envelope> ask(const Ctx& c, const std::string& daemon, Envelope req) {
  static uint64_t nextId = 1;
  req.set_id(static_cast<uint64_t>(::getpid()) << 32 | nextId++);
  return hr::ipc::requestOnce(c.paths.socketPath(daemon), req, kTimeout);
}

hr::Result<nlohmann::json> show(
    const Ctx& c,
    const std::string& daemon,
    const std::string& topic,
    const std::vector<std::string>& args) {
  Envelope req;
  req.mutable_show()->set_topic(topic);
  for (const auto& a : args) {
    req.mutable_show()->add_args(a);
  }
  HR_TRY(auto rep, ask(c, daemon, req));
  if (!rep.has_show_reply()) {
    return hr::fail("cli.bad_reply", "{} sent an unexpected reply", daemon);
  }
  if (!rep.show_reply().ok()) {
    return hr::fail("cli.refused", "{}", rep.show_reply().error());
  }
  auto j = nlohmann::json::parse(rep.show_reply().json(), nullptr, false);
  if (j.is_discarded()) {
    return hr::fail("cli.bad_json", "{} returned invalid JSON", daemon);
  }
  return j;
}

hr::Result<std::string> command(
    const Ctx& c,
    const std::string& daemon,
    const std::string& cmd,
    const std::vector<std::string>& args) {
  Envelope req;
  req.mutable_command()->set_command(cmd);
  for (const auto& a : args) {
    req.mutable_command()->add_args(a);
  }
  HR_TRY(auto rep, ask(c, daemon, req));
  if (!rep.has_command_reply()) {
    return hr::fail("cli.bad_reply", "{} sent an unexpected reply", daemon);
  }
  if (!rep.command_reply().ok()) {
    return hr::fail("cli.refused", "{}", rep.command_reply().message());
  }
  return rep.command_reply().message();
}

// Whether a daemon accepts connections on its socket: a socket file left behind by a daemon
// that was killed (SIGKILL: no clean-up) does not count. A socket we may not connect to
// (permission) counts, so that the command that follows says why it failed.
bool running(const Ctx& c, const std::string& daemon) {
  auto st = hr::ipc::probe(c.paths.socketPath(daemon));
  return st || st.error().code != "ipc.not_running";
}

void print(const Ctx& c, const std::string& topic, const nlohmann::json& j) {
  if (c.json) {
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << hr::cli::renderText(topic, j);
  }
}

// `show status|counters` over every daemon of the instance.
int showAll(const Ctx& c, const std::string& topic, std::vector<std::string> daemons) {
  if (daemons.empty()) {
    daemons = kDaemons;
  }
  nlohmann::json all = nlohmann::json::object();
  bool any = false;
  for (const auto& d : daemons) {
    if (topic == "counters" && !running(c, d)) {
      continue;
    }
    auto r = show(c, d, topic, {});
    if (r) {
      all[d] = *r;
      any = true;
    } else {
      all[d] = {{"error", r.error().message}, {"code", r.error().code}};
    }
  }
  if (c.json) {
    std::cout << all.dump(2) << "\n";
  } else {
    std::cout << (topic == "status" ? hr::cli::renderStatus(all) : hr::cli::renderCounters(all));
  }
  return any ? 0 : 1;
}

int runShow(Ctx& c, std::vector<std::string> words, const std::string& daemonOpt) {
  if (!words.empty() && words.back() == "json") {
    c.json = true;
    words.pop_back();
  }
  if (words.empty()) {
    std::cerr << "usage: hostroutectl show status|counters|config|hosts|dataplane|vrrp|TOPIC "
                 "[ARGS...] [--json]\n";
    return 2;
  }
  std::string topic = words[0];
  std::vector<std::string> args(words.begin() + 1, words.end());
  if (topic == "status" || topic == "counters") {
    std::vector<std::string> ds = args;
    if (!daemonOpt.empty()) {
      ds = {daemonOpt};
    }
    return showAll(c, topic, ds);
  }
  std::string daemon = daemonOpt;
  if (daemon.empty()) {
    if (auto it = kTopicDaemon.find(topic); it != kTopicDaemon.end()) {
      daemon = it->second;
    } else if (topic == "config") {
      for (const auto& d : kDaemons) {
        if (running(c, d)) {
          daemon = d;
          break;
        }
      }
      if (daemon.empty()) {
        std::cerr << "no daemon of this instance is running\n";
        return 1;
      }
    } else {
      std::cerr << "unknown topic '" << topic
                << "' (status, counters, config, hosts, learning, dataplane, zebra, routes, vrrp; "
                   "or --daemon D)\n";
      return 2;
    }
  }
  auto r = show(c, daemon, topic, args);
  if (!r) {
    std::cerr << daemon << ": " << r.error().str() << "\n";
    return 1;
  }
  print(c, topic, *r);
  return 0;
}

int runValidate(const std::string& file, const std::string& yangDir) {
  auto ctx = hr::config::YangContext::load(yangDir);
  if (!ctx) {
    std::cerr << ctx.error().str() << "\n";
    return 1;
  }
  auto r = hr::cli::validateDocument(*ctx, file);
  if (!r) {
    std::cerr << r.error().str() << "\n";
    std::cerr << file << ": INVALID (" << r.error().issues.size() << " problem"
              << (r.error().issues.size() == 1 ? "" : "s") << ")\n";
    return 1;
  }
  std::cout << file << ": valid\n";
  return 0;
}

// Sends a command to one daemon or to every running one.
int runCommand(
    const Ctx& c,
    const std::string& cmd,
    const std::vector<std::string>& args,
    const std::string& daemonOpt) {
  std::vector<std::string> targets;
  if (!daemonOpt.empty()) {
    targets = {daemonOpt};
  } else {
    for (const auto& d : kDaemons) {
      if (running(c, d)) {
        targets.push_back(d);
      }
    }
  }
  if (targets.empty()) {
    std::cerr << "no daemon of this instance is running\n";
    return 1;
  }
  int rc = 0;
  for (const auto& d : targets) {
    auto r = command(c, d, cmd, args);
    if (r) {
      std::cout << d << ": " << *r << "\n";
    } else {
      std::cerr << d << ": " << r.error().str() << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "hostroutectl: show and control the frr-hostroute daemons of a switch instance",
      "hostroutectl");
  app.require_subcommand(1);
  std::string instance, runDir, yangDir = hr::defaultYangDir(), daemonOpt;
  Ctx c;
  app.add_option("-N,--pathspace", instance, "Instance name (as the daemons' -N)");
  app.add_option(
      "--run-dir", runDir, "The instance's run directory (default /run/frr-hostroute[/NAME])");
  app.add_flag("-j,--json", c.json, "Print the daemon's JSON document");

  std::vector<std::string> showWords;
  auto* showCmd = app.add_subcommand(
      "show", "Show state: status, counters, config, hosts, learning, dataplane, vrrp");
  showCmd->add_option("words", showWords, "TOPIC [ARGS...] [json]");
  showCmd->add_option("--daemon", daemonOpt, "Ask this daemon instead of the topic's owner");
  showCmd->add_flag("-j,--json", c.json, "Print the daemon's JSON document");

  std::string file;
  auto* validateCmd = app.add_subcommand(
      "validate", "Validate a config file offline (YANG and every daemon's checks)");
  validateCmd->add_option("file", file, "Config file (.json or .xml)")->required();
  validateCmd->add_option("--yang-dir", yangDir, "Directory of the frr-hostroute YANG modules");

  auto* reloadCmd =
      app.add_subcommand("reload", "Re-read the config file (as SIGHUP): refused if invalid");
  std::string reloadDaemon;
  reloadCmd->add_option("daemon", reloadDaemon, "Only this daemon");

  std::vector<std::string> debugWords;
  auto* debugCmd =
      app.add_subcommand("debug", "Switch a debug category: debug CATEGORY on|off [DAEMON]");
  debugCmd->add_option("words", debugWords)->required();

  std::vector<std::string> clearWords;
  auto* clearCmd =
      app.add_subcommand("clear", "Host learner actions, e.g. clear host ADDRESS freeze");
  clearCmd->add_option("words", clearWords)->required();

  std::vector<std::string> cmdWords;
  auto* rawCmd =
      app.add_subcommand("command", "Send a command to a daemon: command DAEMON CMD [ARGS...]");
  rawCmd->add_option("words", cmdWords)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (auto st = hr::checkInstanceName(instance); !st) {
    std::cerr << "hostroutectl: " << st.error().str() << "\n";
    return 2;
  }
  c.paths = hr::InstancePaths::forInstance(instance);
  if (!runDir.empty()) {
    c.paths.runDir = runDir;
  }

  if (*validateCmd) {
    return runValidate(file, yangDir);
  }
  if (*showCmd) {
    return runShow(c, showWords, daemonOpt);
  }
  if (*reloadCmd) {
    return runCommand(c, "reload", {}, reloadDaemon);
  }
  if (*debugCmd) {
    if (debugWords.size() < 2 || debugWords.size() > 3) {
      std::cerr << "usage: hostroutectl debug CATEGORY on|off [DAEMON]\n";
      return 2;
    }
    std::string d = debugWords.size() == 3 ? debugWords[2] : "";
    return runCommand(c, "debug", {debugWords[0], debugWords[1]}, d);
  }
  if (*clearCmd) {
    return runCommand(c, "clear", clearWords, "hostroute_learner");
  }
  if (*rawCmd) {
    if (cmdWords.size() < 2) {
      std::cerr << "usage: hostroutectl command DAEMON CMD [ARGS...]\n";
      return 2;
    }
    return runCommand(
        c,
        cmdWords[1],
        std::vector<std::string>(cmdWords.begin() + 2, cmdWords.end()),
        cmdWords[0]);
  }
  return 2;
}
