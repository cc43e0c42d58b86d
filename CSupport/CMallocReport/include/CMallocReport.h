#ifndef RECUR_CMALLOCREPORT_H
#define RECUR_CMALLOCREPORT_H

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* RECUR_MALLOC_REPORT=1: a counter of every thread's allocations from start to exit, printed at
   exit as "mallocs: N" on standard error. Shared by the two counters that offer it:
   libRecurMallocCounter.so (CAllocCounter, preloaded into a shared build) and the one built into
   a static recur (CIOSupport's alloc_wrap.c). Header-only, so that each gets its own copy. */

/* Whether the environment asks for the report. */
static inline int recur_malloc_report_wanted(void) {
    const char *report = getenv("RECUR_MALLOC_REPORT");
    return report != NULL && report[0] == '1' && report[1] == 0;
}

/* Writes "mallocs: N\n" to standard error with one write (no stdio, no allocation). */
static inline void recur_malloc_report_write(unsigned long long value) {
    char text[40] = "mallocs: ";
    char digits[24];
    size_t length = 9, used = 0;
    do { digits[used++] = (char)('0' + value % 10); value /= 10; } while (value > 0);
    while (used > 0) text[length++] = digits[--used];
    text[length++] = '\n';
    ssize_t ignored = write(2, text, length);
    (void)ignored;
}

#endif
