#include "core/counters.h"

#include <nlohmann/json.hpp>

namespace hr {

Counter& Counters::get(std::string_view name, std::string_view help, Kind kind) {
  std::string full = daemon_ + "." + std::string(name);
  auto it = entries_.find(full);
  if (it == entries_.end()) {
    it = entries_.emplace(full, std::make_unique<Entry>(Entry{{}, kind, std::string(help)})).first;
  } else if (it->second->help.empty() && !help.empty()) {
    it->second->help = std::string(help);
  }
  return it->second->counter;
}

Counter& Counters::counter(std::string_view name, std::string_view help) {
  return get(name, help, Kind::Counter);
}

Counter& Counters::gauge(std::string_view name, std::string_view help) {
  return get(name, help, Kind::Gauge);
}

uint64_t Counters::value(std::string_view fullName) const {
  auto it = entries_.find(fullName);
  return it == entries_.end() ? 0 : it->second->counter.value();
}

nlohmann::json Counters::toJson() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, e] : entries_) {
    j[name] = e->counter.value();
  }
  return j;
}

nlohmann::json Counters::describe() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [name, e] : entries_) {
    j.push_back(
        {{"name", name},
         {"value", e->counter.value()},
         {"kind", e->kind == Kind::Gauge ? "gauge" : "counter"},
         {"help", e->help}});
  }
  return j;
}

}  // namespace hr
