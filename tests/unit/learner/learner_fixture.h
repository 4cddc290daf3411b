// Shared fixture of the host-table tests: a switch with bridge br10 (ifindex 10, ports p1/p2
// = 11/12, 10.1.0.2/24, 2001:db8:1::2/64, fe80::10/64), an uplink swp1 (20, no learning)
// and a VRF "blue" with bridge br20 (30) enslaved to it; time is an argument.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/counters.h"
#include "hostroute_learner/host_table.h"

namespace hr::learner::test {

inline IpAddress ip(const std::string& s) {
  return IpAddress::parse(s).value();
}
inline MacAddress mac(const std::string& s) {
  return MacAddress::parse(s).value();
}
inline Prefix pfx(const std::string& s) {
  return Prefix::parse(s).value();
}

inline LearnerConfig baseConfig() {
  LearnerConfig c;
  InterfaceConfig br10;
  br10.name = "br10";
  br10.learning = true;
  c.interfaces.push_back(br10);
  InterfaceConfig br20;
  br20.name = "br20";
  br20.learning = true;
  br20.subnets = {pfx("10.2.0.0/24")};
  c.interfaces.push_back(br20);
  InterfaceConfig swp1;
  swp1.name = "swp1";
  c.interfaces.push_back(swp1);
  c.holdTime = std::chrono::seconds(10);
  c.probeInterval = std::chrono::milliseconds(1000);
  c.probeRetries = 3;
  c.timelineLength = 16;
  return c;
}

inline void addSwitchInterfaces(InterfaceDb& db) {
  auto link = [&](int idx, const char* name, const char* kind, const char* m, int master) {
    InterfaceInfo i;
    i.ifindex = idx;
    i.name = name;
    i.kind = kind;
    i.mac = mac(m);
    i.up = true;
    i.master = master;
    db.upsertLink(i);
  };
  link(10, "br10", "bridge", "02:00:00:00:00:10", 0);
  link(11, "p1", "veth", "02:00:00:00:00:11", 10);
  link(12, "p2", "veth", "02:00:00:00:00:12", 10);
  link(20, "swp1", "veth", "02:00:00:00:00:20", 0);
  link(40, "blue", "vrf", "02:00:00:00:00:40", 0);
  link(30, "br20", "bridge", "02:00:00:00:00:30", 40);
  db.addAddress(10, pfx("10.1.0.2/24"));
  db.addAddress(10, pfx("2001:db8:1::2/64"));
  db.addAddress(10, pfx("fe80::10/64"));
  db.addAddress(20, pfx("10.0.1.0/31"));
  db.addAddress(30, pfx("10.2.0.1/24"));
}

struct Harness {
  Counters counters{"hostroute_learner"};
  HostTable table{counters};
  TimePoint t0 = TimePoint{} + std::chrono::hours(100);
  TimePoint now = t0;
  Actions out;

  explicit Harness(LearnerConfig cfg = baseConfig()) {
    addSwitchInterfaces(table.interfaces());
    table.configure(cfg, now, out);
    out.clear();
  }
  TimePoint at(double seconds) const {
    return t0 + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
  }
  // Runs every deadline up to `t` (as the daemon's timer would), then sets now = t.
  void advance(TimePoint t) {
    for (;;) {
      auto d = table.nextDeadline();
      if (!d || *d > t) {
        break;
      }
      now = std::max(now, *d);
      table.tick(now, out);
    }
    now = std::max(now, t);
  }
  void advanceTo(double seconds) {
    advance(at(seconds));
  }
  void see(
      const std::string& addr,
      const std::string& m,
      Source s = Source::ArpRequest,
      int port = 11,
      int ifindex = 10) {
    Observation o;
    o.ifindex = ifindex;
    o.port = port;
    o.ip = ip(addr);
    o.mac = mac(m);
    o.source = s;
    table.observe(o, now, out);
  }
  // zebra installed the host's route (fpm_client's status): another router's copy reported
  // after this is someone arriving after us.
  void installed(const std::string& addr) {
    table.routeStatus("", ip(addr), RouteState::Installed, now, out);
  }
  template <class T>
  std::vector<T> take() {
    std::vector<T> r;
    for (const auto& a : out) {
      if (const auto* x = std::get_if<T>(&a)) {
        r.push_back(*x);
      }
    }
    return r;
  }
  std::vector<std::string> lines(bool withLogs = false) const {
    std::vector<std::string> r;
    for (const auto& a : out) {
      if (!withLogs && std::holds_alternative<LogAction>(a)) {
        continue;
      }
      r.push_back(toString(a));
    }
    return r;
  }
  uint64_t counter(const std::string& name) const {
    return counters.value("hostroute_learner." + name);
  }
};

}  // namespace hr::learner::test
