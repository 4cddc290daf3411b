// fpm_client's typed view of learning/injection (yang/frr-hostroute.yang): how host routes
// reach zebra (ZAPI or a kernel table), their distances and tags (the claim/hold move
// signal), and the graceful-restart policy of the ZAPI session. Pure: built from a
// validated data tree, with the checks YANG cannot express, each naming its data path.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/config/yang.h"

namespace hr::fpm_client {

enum class InjectionMethod { Zapi, KernelTable };
enum class StopAction { Keep, Withdraw };

struct InjectionConfig {
  InjectionMethod method = InjectionMethod::Zapi;
  uint32_t kernelTable = 10;
  uint8_t distance = 10;  // move signal off
  bool moveSignal = true;
  uint8_t claimDistance = 10;
  uint32_t claimTag = 1;
  uint8_t holdDistance = 250;
  uint32_t holdTag = 2;
  std::chrono::milliseconds claimWindow{2000};
  uint32_t metric = 0;
  std::chrono::seconds staleTime{60};
  StopAction stopAction = StopAction::Keep;

  bool operator==(const InjectionConfig&) const = default;
};

config::ConfigResult<InjectionConfig> parseInjectionConfig(const config::DataTree& tree);

}  // namespace hr::fpm_client
