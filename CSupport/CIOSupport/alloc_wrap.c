#include "CIOSupport.h"

#include <stdlib.h>

static __thread int counting __attribute__((tls_model("initial-exec")));
static __thread int64_t count __attribute__((tls_model("initial-exec")));

#ifdef RECUR_WRAPPED_MALLOC

/* RECUR_MALLOC_REPORT=1 as well; only here, so that a build whose malloc is not wrapped (where
   libRecurMallocCounter.so may be preloaded and report) does not print a second, empty report. */
#include "CMallocReport.h"

/* With `--wrap=malloc` the linker sends every call to malloc to __wrap_malloc, and
   __real_malloc to the real one (and so for the others). */
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);
void *__real_memalign(size_t, size_t);

#define COUNT() do { \
        if (__builtin_expect(counting, 0)) count++; \
        recur_malloc_report_count(); \
    } while (0)

void *__wrap_malloc(size_t n) { COUNT(); return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { COUNT(); return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { COUNT(); return __real_realloc(p, n); }
int __wrap_posix_memalign(void **out, size_t a, size_t n) { COUNT(); return __real_posix_memalign(out, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { COUNT(); return __real_aligned_alloc(a, n); }
void *__wrap_memalign(size_t a, size_t n) { COUNT(); return __real_memalign(a, n); }

int recur_builtin_alloc_counter(void) { return 1; }

#else

int recur_builtin_alloc_counter(void) { return 0; }

#endif

void recur_builtin_alloc_counter_begin(void) { count = 0; counting = 1; }
int64_t recur_builtin_alloc_counter_end(void) { counting = 0; return count; }

void recur_alloc_control(void) {
    /* A volatile store: the allocation is used, so it stays. */
    void *volatile kept = malloc(24);
    free(kept);
}
