// A command's heap on transparent huge pages.
//
// A command is a short process: a model check on MobileNetV2 touches a few
// tens of megabytes of fresh heap once. On the CI's virtual machines each
// first touch of a 4 KiB page costs a fault of about 20 us (measured: 24 ms
// to touch 4 MiB page by page, 0.5 ms for the same 4 MiB on two 2 MiB pages),
// so fresh small pages were a fifth of `check --policy NAME` (407 faults in
// all, 255-258 with this). Here the heap grows once by 24 MiB, untouched, and
// the 2 MiB-aligned part of that growth is advised MADV_HUGEPAGE; with malloc
// told to serve blocks up to 32 MiB from the heap and to keep freed memory,
// the command's large buffers land there and fault in 2 MiB at a time. The
// growth's unaligned first part (up to 2 MiB) stays on small pages; check's
// scratch buffers, which start there, are prefaulted in one call besides
// (model/src/checks/check.cpp: without that, 723 faults).
//
// Costs: address space only (nothing is touched here), and a resident size
// rounded up to 2 MiB steps inside that region.
#include "huge_page_heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace quantcheck::cli {

void use_huge_page_heap() {
  constexpr std::size_t kGrowth = std::size_t{24} << 20;
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  // 32 MiB is glibc's largest mmap threshold on 64-bit; blocks above it are
  // mapped (and returned) on their own as before.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  // Freed memory stays in the heap for the next block instead of going back
  // to the kernel and faulting in again.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);

  // Grow the heap by malloc itself, so its bookkeeping knows the space: a
  // block this large now comes from brk, and freeing it leaves the heap's top
  // that large. volatile: the pair must not be optimised away.
  char* const before = static_cast<char*>(sbrk(0));
  void* volatile block = std::malloc(kGrowth);
  char* const after = static_cast<char*>(sbrk(0));
  std::free(block);
  // Not glibc's brk heap (a sanitizer's allocator, brk refused): leave it.
  if (before == reinterpret_cast<char*>(-1) ||
      after - before < static_cast<std::ptrdiff_t>(kGrowth))
    return;
  const std::uintptr_t lo =
      (reinterpret_cast<std::uintptr_t>(before) + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t hi = reinterpret_cast<std::uintptr_t>(after) & ~(kHugePage - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}

}  // namespace quantcheck::cli
