// Text rendering of the JSON documents the daemons return (vtysh's habit: the same data as
// `... json`, laid out for a terminal). One renderer per topic; unknown topics fall back to
// an indented key: value dump.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace hr::cli {

std::string renderText(const std::string& topic, const nlohmann::json& j);

// The generic fallback, also used for nested parts by specific renderers.
std::string renderGeneric(const nlohmann::json& j, int indent = 0);

std::string renderStatus(const nlohmann::json& perDaemon);
std::string renderCounters(const nlohmann::json& perDaemon);

}  // namespace hr::cli
