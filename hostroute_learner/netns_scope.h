// NetnsScope: which network namespace an adapter's sockets live in, and how that
// namespace's interface indexes map into the learner's single ifindex space.
//
// With FRR's network-namespace VRF backend (zebra -n) a VRF is a network namespace: its
// interfaces (host bridges, uplinks) live there, not in the switch's own namespace. The
// learner watches each such namespace with its own netlink and packet sockets. Every
// namespace numbers its interfaces from 1, so the adapters map them into disjoint ranges
// before anything reaches the host table, which knows one ifindex space only:
//
//   slot 0 (the learner's own namespace)   learner ifindex = kernel ifindex
//   slot s (netns VRF, 1..kMaxNetnsSlots)  learner ifindex = s << 24 | kernel ifindex
//
// Kernel ifindexes of 2^24 and above (16.7 million interfaces created in one namespace) do
// not fit and are dropped, counted by the adapter. Pure code: no fds, no syscalls.
#pragma once

#include <string>

namespace hr::learner {

constexpr int kNetnsSlotBits = 24;
constexpr int kMaxKernelIfindex = (1 << kNetnsSlotBits) - 1;
constexpr int kMaxNetnsSlots = 127;  // 127 << 24 | 0xffffff is INT32_MAX

struct NetnsScope {
  int slot = 0;       // 0 = the learner's own namespace
  std::string vrf;    // the netns VRF's name ("" for slot 0)
  std::string netns;  // the namespace's path ("" = the current namespace)

  // The learner's ifindex of kernel ifindex `k` of this namespace; 0 when k is 0, negative
  // or too large.
  int toLearner(int k) const {
    if (k <= 0 || k > kMaxKernelIfindex) {
      return 0;
    }
    return (slot << kNetnsSlotBits) | k;
  }
  // Whether a learner ifindex belongs to this namespace.
  bool owns(int learnerIfindex) const {
    return learnerIfindex > 0 && (learnerIfindex >> kNetnsSlotBits) == slot;
  }
};

inline int netnsSlotOf(int learnerIfindex) {
  return learnerIfindex >> kNetnsSlotBits;
}
inline int kernelIfindexOf(int learnerIfindex) {
  return learnerIfindex & kMaxKernelIfindex;
}

}  // namespace hr::learner
