#ifndef RECUR_CMALLOCREPORT_H
#define RECUR_CMALLOCREPORT_H

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

/* RECUR_MALLOC_REPORT=1: every thread's allocations from start to exit, printed at exit as
   "mallocs: N" on standard error. Shared by the two counters that offer it:
   libRecurMallocCounter.so (CAllocCounter, preloaded into a shared build) and the one built into
   a static recur (CIOSupport's alloc_wrap.c, only when RECUR_WRAPPED_MALLOC is defined).
   Header-only: the file that includes it gets its own state, and its own constructor and
   destructor that start and print the report; it calls recur_malloc_report_count() for each
   allocation it sees. */

static int recur_malloc_reporting;
static atomic_llong recur_malloc_reported;

/* One allocation, counted when the report was asked for. */
static inline void recur_malloc_report_count(void) {
    if (__builtin_expect(recur_malloc_reporting, 0))
        atomic_fetch_add_explicit(&recur_malloc_reported, 1, memory_order_relaxed);
}

__attribute__((constructor)) static void recur_malloc_report_start(void) {
    const char *report = getenv("RECUR_MALLOC_REPORT");
    recur_malloc_reporting = report != NULL && report[0] == '1' && report[1] == 0;
}

/* Runs when the process exits normally (exit or a return from main), after main's own work.
   One write, no stdio and no allocation. */
__attribute__((destructor)) static void recur_malloc_report_print(void) {
    if (!recur_malloc_reporting) return;
    unsigned long long value = (unsigned long long)atomic_load(&recur_malloc_reported);
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
