#include "CAllocCounter.h"
#include "CMallocReport.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

/* Under AddressSanitizer or ThreadSanitizer (swift build/test --sanitize=address or thread) the
   sanitizer owns malloc: an interposer here would either clash with its interceptors or hand the
   program memory that the sanitizer does not know (which it would then reject in free or
   malloc_usable_size, which the Swift runtime calls). So in those builds the counter counts
   through the sanitizer's own malloc hook instead, which runs on every allocation its allocator
   makes (malloc, calloc, realloc, the aligned forms, operator new): the counts are the same and
   every allocation test still runs. Other builds, including UBSan (which does not replace
   malloc), interpose. */
#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#    define RECUR_COUNT_WITH_SANITIZER_HOOKS 1
#  endif
#endif
#if (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)) && !defined(RECUR_COUNT_WITH_SANITIZER_HOOKS)
#  define RECUR_COUNT_WITH_SANITIZER_HOOKS 1
#endif

/* glibc requires the initial-exec TLS model in a malloc replacement (glibc manual,
   "Replacing malloc"): the general model may itself allocate. */
static __thread int counting __attribute__((tls_model("initial-exec")));
static __thread int64_t count __attribute__((tls_model("initial-exec")));

/* The calling thread's count, and the process-wide one of RECUR_MALLOC_REPORT (CMallocReport.h). */
#define COUNT() do { \
        if (__builtin_expect(counting, 0)) count++; \
        recur_malloc_report_count(); \
    } while (0)

#ifdef RECUR_COUNT_WITH_SANITIZER_HOOKS

#include <sanitizer/allocator_interface.h>

static void count_malloc(const volatile void *pointer, size_t size) {
    (void)pointer;
    (void)size;
    COUNT();
}

static void ignore_free(const volatile void *pointer) { (void)pointer; }

__attribute__((constructor)) static void install_hooks(void) {
    __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
}

#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

void *malloc(size_t n) { COUNT(); return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { COUNT(); return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { COUNT(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { COUNT(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    COUNT();
    void *p = __libc_memalign(a, n);
    if (p == NULL) return ENOMEM;
    *out = p;
    return 0;
}

#endif

void recur_alloc_counter_begin(void) { count = 0; counting = 1; }
int64_t recur_alloc_counter_end(void) { counting = 0; return count; }
