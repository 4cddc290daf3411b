// Counters every daemon exports the same way (CONVENTIONS §5): named
// <daemon>.<area>.<name>, monotonically increasing unless declared a gauge, dumped as JSON by
// `hostroutectl show counters` and (later) scraped by Prometheus.
//
//   Counters c("hostroute_learner");
//   Counter& rx = c.counter("packets.arp_rx", "ARP frames received on snooped interfaces");
//   ++rx;
// References stay valid for the registry's lifetime. Single-threaded, like the daemon.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace hr {

class Counter {
 public:
  Counter& operator++() {
    ++value_;
    return *this;
  }
  Counter& operator+=(uint64_t n) {
    value_ += n;
    return *this;
  }
  void set(uint64_t v) {  // gauges only
    value_ = v;
  }
  uint64_t value() const {
    return value_;
  }

 private:
  uint64_t value_ = 0;
};

class Counters {
 public:
  enum class Kind { Counter, Gauge };
  struct Entry {
    Counter counter;
    Kind kind;
    std::string help;
  };

  explicit Counters(std::string daemon) : daemon_(std::move(daemon)) {}

  // `name` is "<area>.<name>"; the daemon prefix is added. Re-registering returns the same
  // counter.
  Counter& counter(std::string_view name, std::string_view help = {});
  Counter& gauge(std::string_view name, std::string_view help = {});
  // Value of a full name ("<daemon>.<area>.<name>"), 0 when unknown.
  uint64_t value(std::string_view fullName) const;

  const std::string& daemon() const {
    return daemon_;
  }
  const std::map<std::string, std::unique_ptr<Entry>, std::less<>>& all() const {
    return entries_;
  }
  // {"<full name>": value, ...}
  nlohmann::json toJson() const;
  // [{"name":..., "value":..., "kind":..., "help":...}, ...]
  nlohmann::json describe() const;

 private:
  Counter& get(std::string_view name, std::string_view help, Kind kind);
  std::string daemon_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

}  // namespace hr
