// hostroutectl's text for `show status` and `show counters` (tools/render.cpp): the same JSON
// the daemons return (or the CLI's error entry for a daemon that did not answer), laid out as
// a table. Each case pins the exact lines an operator reads.
#include "tools/render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace hr::cli {
namespace {

using nlohmann::json;

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    out.push_back(l);
  }
  return out;
}

json runningStatus(int pid, bool present, json lastReloadError = nullptr) {
  return {
      {"daemon", "hostroute_learner"},
      {"pid", pid},
      {"uptimeSeconds", 42},
      {"config",
       {{"file", "/etc/frr-hostroute/tor1/hostroute.json"},
        {"present", present},
        {"generation", 3},
        {"lastReloadError", lastReloadError}}},
  };
}

TEST(RenderStatus, RunningDaemonsOneRowEach) {
  json all = {
      {"fpm_client", runningStatus(200, false)}, {"hostroute_learner", runningStatus(100, true)}};
  auto l = lines(renderStatus(all));
  ASSERT_EQ(l.size(), 3u) << renderStatus(all);
  EXPECT_EQ(l[0], "Daemon               State                  Pid  Uptime(s) CfgGen  Config");
  EXPECT_EQ(
      l[1],
      "fpm_client           running                200         42      3  "
      "/etc/frr-hostroute/tor1/hostroute.json (absent: defaults)");
  EXPECT_EQ(
      l[2],
      "hostroute_learner    running                100         42      3  "
      "/etc/frr-hostroute/tor1/hostroute.json");
}

TEST(RenderStatus, RefusedReloadIsShownUnderItsDaemon) {
  json all = {{"hostroute_learner", runningStatus(100, true, "hostroute.json: /a/b: bad")}};
  auto l = lines(renderStatus(all));
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[2], "                     last reload refused: hostroute.json: /a/b: bad");
}

TEST(RenderStatus, TellsNotRunningFromNotRespondingAndPermission) {
  json all = {
      {"a_daemon",
       {{"error",
         "cannot connect to /run/x/a.sock: Connection refused (the daemon is not running)"},
        {"code", "ipc.not_running"}}},
      {"b_daemon",
       {{"error", "no reply from /run/x/b.sock within 10000 ms (the daemon is not responding)"},
        {"code", "ipc.timeout"}}},
      {"c_daemon",
       {{"error", "cannot connect to /run/x/c.sock: Permission denied (run as root)"},
        {"code", "ipc.permission"}}},
      {"d_daemon",
       {{"error", "/run/x/d.sock closed the connection without a reply"}, {"code", "ipc.closed"}}},
  };
  auto l = lines(renderStatus(all));
  ASSERT_EQ(l.size(), 8u) << renderStatus(all);
  EXPECT_EQ(l[1], "a_daemon             not running              -          -      -  -");
  EXPECT_EQ(l[2], "b_daemon             not responding           -          -      -  -");
  EXPECT_EQ(
      l[3],
      "                     no reply from /run/x/b.sock within 10000 ms (the daemon is not "
      "responding)");
  EXPECT_EQ(l[4], "c_daemon             permission denied        -          -      -  -");
  EXPECT_EQ(
      l[5],
      "                     cannot connect to /run/x/c.sock: Permission denied (run as root)");
  EXPECT_EQ(l[6], "d_daemon             error                    -          -      -  -");
  EXPECT_EQ(l[7], "                     /run/x/d.sock closed the connection without a reply");
}

TEST(RenderCounters, OneLinePerCounterAndErrorsNamed) {
  json all = {
      {"fpm_client",
       {{"error", "no reply from /run/x/f.sock within 10000 ms"}, {"code", "ipc.timeout"}}},
      {"hostroute_learner",
       {{"hostroute_learner.config.reloads", 2}, {"hostroute_learner.hosts.total", 7}}},
  };
  auto l = lines(renderCounters(all));
  ASSERT_EQ(l.size(), 3u) << renderCounters(all);
  EXPECT_EQ(l[0], "fpm_client: not responding: no reply from /run/x/f.sock within 10000 ms");
  EXPECT_EQ(
      l[1],
      "hostroute_learner.config.reloads" + std::string(64 - 32, ' ') + " " + std::string(13, ' ') +
          "2");
  EXPECT_EQ(l[2].substr(0, 30), "hostroute_learner.hosts.total ");
  EXPECT_EQ(l[2].back(), '7');
  EXPECT_EQ(l[2].size(), 64u + 1 + 14);
}

TEST(RenderCounters, EmptyWhenNothingAnswered) {
  EXPECT_EQ(renderCounters(json::object()), "");
}

}  // namespace
}  // namespace hr::cli
