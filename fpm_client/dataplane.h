// The data-path backend interface (an adapter: it owns sockets), and the operations the
// pure core (FibCore) hands it.
//
// The core computes what should be programmed (admitted RouteSpecs) and diffs it against
// what the backend confirmed; it hands the differences over as batches of DpOps and gets
// one DpResult per op back, asynchronously. The backend also reports the hardware state of
// each programmed route (rtm_flags as the kernel shows them: RTM_F_OFFLOAD, RTM_F_TRAP,
// RTM_F_OFFLOAD_FAILED) and, on start and whenever its view may have gone stale (a port
// went down and the kernel flushed routes, notifications were lost), everything it holds.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "fpm_client/fib_types.h"

namespace hr::fpm_client {

enum class DpOpKind : uint8_t { Upsert, Delete };

struct DpOp {
  DpOpKind kind = DpOpKind::Upsert;
  FibKey key;
  RouteSpec spec;  // Upsert only
};

struct DpResult {
  FibKey key;
  DpOpKind kind = DpOpKind::Upsert;
  int error = 0;        // 0, or a negative errno (the kernel's answer)
  std::string message;  // the kernel's extended ack, or the backend's reason
};

struct ProgrammedRoute {
  FibKey key;
  RouteSpec spec;
  uint32_t rtmFlags = 0;
};

class Dataplane {
 public:
  struct Callbacks {
    std::function<void(std::vector<DpResult>)> results;
    std::function<void(const FibKey&, uint32_t rtmFlags)> hwFlags;
    std::function<void(std::vector<ProgrammedRoute>)> resynced;
    std::function<void(uint64_t)> neighbours;
  };

  virtual ~Dataplane() = default;
  virtual const char* name() const = 0;
  virtual void setCallbacks(Callbacks cb) = 0;
  // Opens what it needs and reads what is programmed already (reported via resynced()
  // before the first submit is answered).
  virtual Status start() = 0;
  // Sends a batch; one result per op follows (never re-entrantly from submit()).
  virtual void submit(std::vector<DpOp> ops) = 0;
  // Ops submitted and not yet answered.
  virtual size_t inFlight() const = 0;
  // Backend-specific state for `show dataplane`.
  virtual nlohmann::json status() const = 0;
};

}  // namespace hr::fpm_client
