// Scenario tests: an event script in (tests/unit/learner/data/*.script), the host table's
// actions out, compared with a golden file (*.golden). HR_UPDATE_GOLDEN=1 regenerates the
// golden files; review the diff before committing them.
//
// Script lines (time in seconds from the start; deadlines up to each line's time run first,
// as the daemon's timer would run them):
//   config KEY=VALUE ...        hold=S interval=MS retries=N rate=N max-moves=N window=S
//                               freeze=S verify=MS foreign=PREFIX gateway=IP
//                               dual=PEER[:PORT,...] (br10 dual-attached)
//   at T see IFINDEX PORT SOURCE ADDRESS MAC       (SOURCE: arp-request, arp-reply, garp, ns,
//                                                   na, una, neigh, neigh-stale, dump,
//                                                   arp-probe, dad)
//   at T remote ADDRESS present|absent PROTOCOL
//   at T status ADDRESS STATE                      (installed, failed, shadowed, ...)
//   at T failed ADDRESS                            (kernel NUD_FAILED)
//   at T clear ADDRESS WHAT
//   at T until                                     (only run the deadlines)
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/unit/learner/learner_fixture.h"

namespace hr::learner::test {
namespace {

namespace fs = std::filesystem;

Source parseSource(const std::string& s, bool* confirms, bool* dump) {
  *confirms = true;
  *dump = false;
  if (s == "arp-request") {
    return Source::ArpRequest;
  }
  if (s == "arp-reply") {
    return Source::ArpReply;
  }
  if (s == "garp") {
    return Source::Garp;
  }
  if (s == "ns") {
    return Source::Ns;
  }
  if (s == "na") {
    return Source::Na;
  }
  if (s == "una") {
    return Source::UnsolicitedNa;
  }
  if (s == "arp-probe") {
    return Source::ArpProbe;
  }
  if (s == "dad") {
    return Source::DadNs;
  }
  if (s == "neigh-stale") {
    *confirms = false;
  }
  if (s == "dump") {
    *dump = true;
  }
  return Source::Neighbor;
}

RouteState parseState(const std::string& s) {
  if (s == "installed") {
    return RouteState::Installed;
  }
  if (s == "failed") {
    return RouteState::Failed;
  }
  if (s == "shadowed") {
    return RouteState::Shadowed;
  }
  if (s == "removed") {
    return RouteState::Removed;
  }
  if (s == "pending") {
    return RouteState::Pending;
  }
  return RouteState::Unknown;
}

std::string run(const fs::path& script) {
  std::ifstream in(script);
  std::string line;
  std::ostringstream log;
  std::optional<Harness> h;
  LearnerConfig cfg = baseConfig();
  auto flush = [&](double t) {
    for (const auto& a : h->out) {
      log << fmt::format("{:8.3f} ", t) << toString(a) << "\n";
    }
    h->out.clear();
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    std::istringstream ls(line);
    std::string word;
    ls >> word;
    if (word == "config") {
      std::string kv;
      while (ls >> kv) {
        auto eq = kv.find('=');
        auto k = kv.substr(0, eq);
        auto v = kv.substr(eq + 1);
        if (k == "hold") {
          cfg.holdTime = std::chrono::seconds(std::stoul(v));
        }
        if (k == "interval") {
          cfg.probeInterval = std::chrono::milliseconds(std::stoul(v));
        }
        if (k == "retries") {
          cfg.probeRetries = static_cast<uint8_t>(std::stoul(v));
        }
        if (k == "rate") {
          cfg.probeRateLimit = static_cast<uint32_t>(std::stoul(v));
        }
        if (k == "max-moves") {
          cfg.maxMoves = static_cast<uint16_t>(std::stoul(v));
        }
        if (k == "window") {
          cfg.moveWindow = std::chrono::seconds(std::stoul(v));
        }
        if (k == "freeze") {
          cfg.freezeTime = std::chrono::seconds(std::stoul(v));
        }
        if (k == "verify") {
          cfg.verifyTime = std::chrono::milliseconds(std::stoul(v));
        }
        if (k == "foreign") {
          cfg.foreignSubnets.push_back(ForeignSubnet{pfx(v), {}});
        }
        if (k == "gateway") {
          cfg.gatewayAddresses.push_back(ip(v));
        }
        if (k == "dual") {  // br10 dual-attached: dual=PEER or dual=PEER:PORT,PORT
          DualAttached d;
          auto colon = v.find(':');
          d.peer = v.substr(0, colon);
          if (colon != std::string::npos) {
            std::istringstream ports(v.substr(colon + 1));
            for (std::string port; std::getline(ports, port, ',');) {
              d.ports.push_back(port);
            }
          }
          cfg.interfaces[0].dualAttached = d;
        }
      }
      continue;
    }
    if (!h) {
      h.emplace(cfg);
    }
    EXPECT_EQ(word, "at") << line;
    double t;
    std::string verb;
    ls >> t >> verb;
    // Deadlines up to t, each reported at its own time.
    for (;;) {
      auto d = h->table.nextDeadline();
      if (!d || *d > h->at(t)) {
        break;
      }
      h->now = std::max(h->now, *d);
      h->table.tick(h->now, h->out);
      flush(std::chrono::duration<double>(h->now - h->t0).count());
    }
    h->now = std::max(h->now, h->at(t));
    log << fmt::format("{:8.3f} > {}\n", t, line.substr(line.find(verb)));
    if (verb == "see") {
      int ifindex, port;
      std::string src, addr, m;
      ls >> ifindex >> port >> src >> addr >> m;
      Observation o;
      o.ifindex = ifindex;
      o.port = port;
      o.ip = ip(addr);
      o.mac = mac(m);
      o.source = parseSource(src, &o.confirms, &o.fromDump);
      h->table.observe(o, h->now, h->out);
    } else if (verb == "remote") {
      std::string addr, pres, proto;
      ls >> addr >> pres >> proto;
      h->table.remoteRoute("", ip(addr), pres == "present", proto, h->now, h->out);
    } else if (verb == "status") {
      std::string addr, st;
      ls >> addr >> st;
      h->table.routeStatus("", ip(addr), parseState(st), h->now, h->out);
    } else if (verb == "failed") {
      std::string addr;
      ls >> addr;
      h->table.neighborFailed(10, ip(addr), h->now, h->out);
    } else if (verb == "clear") {
      std::string addr, what;
      ls >> addr >> what;
      auto r = h->table.clear("", ip(addr), what, h->now, h->out);
      log << fmt::format("{:8.3f} clear: {}\n", t, r ? *r : r.error().message);
    } else if (verb == "show") {
      std::string addr;
      ls >> addr;
      auto j = h->table.hostJson("", ip(addr), h->now);
      if (j) {
        j->erase("timeline");
        log << fmt::format("{:8.3f} show: {}\n", t, j->dump());
      }
    }
    flush(t);
  }
  return log.str();
}

class Scenario : public ::testing::TestWithParam<std::string> {};

TEST_P(Scenario, MatchesGolden) {
  fs::path dir = fs::path(HR_TEST_DATA_DIR);
  auto script = dir / (GetParam() + ".script");
  auto golden = dir / (GetParam() + ".golden");
  std::string got = run(script);
  const char* update = std::getenv("HR_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(golden) << got;
    GTEST_SKIP() << "golden file regenerated: " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in) << "missing golden file " << golden << " (run with HR_UPDATE_GOLDEN=1)";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "scenario " << GetParam() << " diverged from " << golden;
}

std::vector<std::string> scenarios() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(HR_TEST_DATA_DIR)) {
    if (e.path().extension() == ".script") {
      names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Learner, Scenario, ::testing::ValuesIn(scenarios()), [](const auto& p) {
  std::string n = p.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
});

}  // namespace
}  // namespace hr::learner::test
