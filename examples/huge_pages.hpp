// SPDX-License-Identifier: Apache-2.0
// File: examples/huge_pages.hpp
//
// The report programs' heap on transparent huge pages. Their state is tens
// of MiB of hash tables probed at random: on 4 KiB pages nearly every probe
// also misses the TLB, and first touching the heap costs a page fault per
// 4 KiB. glibc (2.35+) can advise the kernel to back its heap with 2 MiB
// pages, but reads that setting (GLIBC_TUNABLES) only when a process
// starts, so the program starts itself once more with it set. Each thread
// keeps its own arena (glibc's default): one shared arena made the workers
// of --threads 2 wait on its lock (1.25x slower, BENCHMARKS.md session 11).
// Tables up to 32 MiB come from the heap and freed memory stays there
// (mmap_threshold, trim_threshold, top_pad): a rehash then reuses pages
// already faulted in instead of having the kernel clear fresh ones. Measured in BENCHMARKS.md (1 M events: 1.27x
// on one thread, 1.22x on two for the first two settings, 1.05-1.12x more
// for the rest; peak memory +14 MiB).
//
// Skipped when GLIBC_TUNABLES is already set (the user's choice stands),
// when CSMETRICS_HUGE_PAGES=0, and off Linux; if the restart fails, the
// program simply goes on as it is.
#ifndef CSMETRICS_EXAMPLES_HUGE_PAGES_HPP_
#define CSMETRICS_EXAMPLES_HUGE_PAGES_HPP_

#if defined(__linux__) && defined(__GLIBC__)
#include <cstdlib>   // std::getenv, setenv
#include <cstring>   // std::strcmp
#include <unistd.h>  // execv
#endif

namespace demo {

/// Call first thing in main(): returns at once, or never (restarted).
inline void restart_on_huge_pages(char** argv) {
#if defined(__linux__) && defined(__GLIBC__)
  const char* opt = std::getenv("CSMETRICS_HUGE_PAGES");
  if (std::getenv("GLIBC_TUNABLES") || (opt && std::strcmp(opt, "0") == 0)) return;
  if (setenv("GLIBC_TUNABLES",
             "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
             "glibc.malloc.trim_threshold=1073741824:glibc.malloc.top_pad=33554432",
             1) != 0)
    return;
  execv("/proc/self/exe", argv);
  unsetenv("GLIBC_TUNABLES");  // the restart failed: go on without
#else
  (void)argv;
#endif
}

}  // namespace demo

#endif  // CSMETRICS_EXAMPLES_HUGE_PAGES_HPP_
