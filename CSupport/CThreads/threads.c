#include "CThreads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

/* A pair of tasks is posted; whichever thread claims task 1 first runs it. The worker claims it
   when it is awake; the caller, having finished task 0, claims it itself if the worker has not
   — so a worker that the scheduler has not given a core never makes the caller wait. The worker
   spins briefly after a task (the next pair usually follows within microseconds), then sleeps on
   a condition variable. */
enum { IDLE = 0, POSTED = 1, RUNNING = 2, DONE = 3 };

static pthread_mutex_t post_lock = PTHREAD_MUTEX_INITIALIZER;   /* one caller at a time */
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Atomic int state = IDLE;
static _Atomic int started = 0;
static _Atomic int sleeping = 0;
static int start_error = 0;
static void *work_context;
static recur_task work_task;

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void *worker_main(void *unused) {
    (void)unused;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&state, memory_order_acquire) != POSTED) {
            if (++spins < 2000) { relax(); continue; }
            /* Announce the sleep before the last look at the state (both sequentially
               consistent), so that a poster either sees it and signals, or is seen. */
            pthread_mutex_lock(&sleep_lock);
            atomic_store(&sleeping, 1);
            while (atomic_load(&state) != POSTED) pthread_cond_wait(&wake, &sleep_lock);
            atomic_store(&sleeping, 0);
            pthread_mutex_unlock(&sleep_lock);
        }
        int expected = POSTED;
        if (atomic_compare_exchange_strong(&state, &expected, RUNNING)) {
            work_task(work_context, 1);
            atomic_store_explicit(&state, DONE, memory_order_release);
        }
    }
    return 0;
}

static void start(void) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    start_error = pthread_create(&thread, &attributes, worker_main, 0);
    pthread_attr_destroy(&attributes);
    if (start_error == 0) atomic_store(&started, 1);
}

int recur_start_worker(void) {
    pthread_once(&once, start);
    return start_error;
}

void recur_run_pair(void *context, recur_task task) {
    if (!atomic_load(&started)) {
        task(context, 0);
        task(context, 1);
        return;
    }
    pthread_mutex_lock(&post_lock);
    work_context = context;
    work_task = task;
    atomic_store(&state, POSTED);
    if (atomic_load(&sleeping)) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    task(context, 0);
    int expected = POSTED;
    if (atomic_compare_exchange_strong(&state, &expected, IDLE)) {
        /* The worker never started it: run it here. */
        task(context, 1);
    } else {
        /* The worker is running it: it has a core, so it finishes soon. */
        int spins = 0;
        while (atomic_load_explicit(&state, memory_order_acquire) != DONE) {
            if (++spins < 4000) relax(); else sched_yield();
        }
        atomic_store_explicit(&state, IDLE, memory_order_relaxed);
    }
    pthread_mutex_unlock(&post_lock);
}
