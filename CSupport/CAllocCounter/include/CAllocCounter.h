#ifndef RECUR_CALLOCCOUNTER_H
#define RECUR_CALLOCCOUNTER_H

#include <stdint.h>

/* A malloc-counting interposer, linked only into the test executable. It replaces malloc and
   friends by ELF symbol interposition, forwards to glibc's own allocator, and counts calls made
   by the current thread between begin and end (so tests running in parallel do not disturb each
   other). Built with AddressSanitizer or ThreadSanitizer, which own malloc, it counts the same calls
   through the sanitizer's malloc hook instead of interposing (see alloc_counter.c).

   Preloaded into a whole process (LD_PRELOAD=libRecurMallocCounter.so) with the environment
   variable RECUR_MALLOC_REPORT=1, it also counts every thread's calls from load to exit and
   writes "mallocs: N" on a line of its own to standard error when the process exits normally. */

void recur_alloc_counter_begin(void);
int64_t recur_alloc_counter_end(void);

#endif
