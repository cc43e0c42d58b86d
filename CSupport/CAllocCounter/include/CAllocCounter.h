#ifndef RECUR_CALLOCCOUNTER_H
#define RECUR_CALLOCCOUNTER_H

#include <stdint.h>

/* A malloc-counting interposer, linked only into the test executable. It replaces malloc and
   friends by ELF symbol interposition, forwards to glibc's own allocator, and counts calls made
   by the current thread between begin and end (so tests running in parallel do not disturb each
   other). */

void recur_alloc_counter_begin(void);
int64_t recur_alloc_counter_end(void);

#endif
