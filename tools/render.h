// Text rendering of the JSON documents the daemons return (vtysh's habit: the same data as
// `... json`, laid out for a terminal). One renderer per topic; unknown topics fall back to
// an indented key: value dump.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hr::cli {

std::string renderText(const std::string& topic, const nlohmann::json& j);

// Topic renderers register themselves from their own file (tools/render_<topic>.cpp):
//   HR_REGISTER_RENDERER(hosts, [](const nlohmann::json& j) { return ...; });
using Renderer = std::string (*)(const nlohmann::json&);
bool registerRenderer(const std::string& topic, Renderer r);
#define HR_REGISTER_RENDERER(topic, fn) \
  static const bool hr_renderer_##topic = ::hr::cli::registerRenderer(#topic, fn)

// The generic fallback, also used for nested parts by specific renderers.
std::string renderGeneric(const nlohmann::json& j, int indent = 0);

// `show status` / `show counters` over the daemons of an instance: {daemon: document}, or
// {daemon: {"error": message, "code": ipc error code}} for a daemon that did not answer.
std::string renderStatus(const nlohmann::json& perDaemon);
std::string renderCounters(const nlohmann::json& perDaemon);
// The State column for a daemon that did not answer: "not running" (nothing accepts on its
// socket), "not responding" (no reply in time), "permission denied", else "error".
std::string unreachableState(const nlohmann::json& entry);

}  // namespace hr::cli
