// Serves the CLI process's heap from 2 MiB pages (see huge_page_heap.cpp).
#pragma once

namespace quantcheck::cli {

// Call first thing in main(): later allocations up to 32 MiB come from a heap
// region advised for transparent huge pages. Advice only; does nothing where
// malloc is not glibc's brk heap (sanitizers) or THP is off.
void use_huge_page_heap();

}  // namespace quantcheck::cli
