// Offline validation of a config document: the same checks a daemon runs at start-up and on
// reload (YANG + every daemon's semantic checks), without any daemon running.
#pragma once

#include <memory>
#include <string>

#include "core/config/yang.h"

namespace hr::cli {

// Empty error list = valid.
config::ConfigResult<config::DataTree> validateDocument(
    const std::shared_ptr<config::YangContext>& ctx, const std::string& file);

}  // namespace hr::cli
