// Invariant checks (CONVENTIONS §2): HR_ASSERT aborts in debug builds and is a no-op in
// release builds; HR_BUG logs and counts in every build and lets the caller recover.
#pragma once

#include <cstdint>
#include <string_view>

namespace hr {

// Logs "event=bug where=FILE:LINE what=..." and bumps the process-wide bug counter that
// every daemon exports as <daemon>.internal.bugs.
void reportBug(std::string_view file, int line, std::string_view what);
uint64_t bugCount();

}  // namespace hr

#ifdef NDEBUG
#define HR_ASSERT(cond) ((void)0)
#else
#include <cstdlib>
#define HR_ASSERT(cond)                                      \
  do {                                                       \
    if (!(cond)) {                                           \
      ::hr::reportBug(__FILE__, __LINE__, "assert: " #cond); \
      std::abort();                                          \
    }                                                        \
  } while (0)
#endif

#define HR_BUG(what) ::hr::reportBug(__FILE__, __LINE__, (what))
