/* recur_predict, recur_push, recur_push_ahead, recur_reset and the state calls make no heap
   allocation and no system call, their failures included (recur.h, ALLOCATION AND SYSTEM CALLS);
   recur_session_bytes, recur_session_init and the model's queries make no heap allocation.

   Allocations: this program defines malloc and its kin, which by ELF interposition replace the
   C library's for the whole process (librecur.so and the Swift runtime inside it included), and
   counts the calls made while `counting` is set. Positive control: recur_model_open, which
   allocates inside librecur.so, must be counted.

   System calls: a child process makes the same calls after installing a seccomp filter that
   allows exit_group and nothing else, and dies of SIGSYS at the first other system call. It
   writes its forecasts to memory shared with the parent, which checks them against its own.
   Positive controls: children that call getpid(), or recur_model_open, under the same filter
   must die of SIGSYS.

   No call is made before the counted ones to warm anything up: the sessions are fresh. */
#define _GNU_SOURCE
#include "support.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static int counting = 0;
static long allocations = 0;

#define COUNTED(call) do { if (counting) allocations++; return call; } while (0)
void *malloc(size_t size) { COUNTED(__libc_malloc(size)); }
void *calloc(size_t count, size_t size) { COUNTED(__libc_calloc(count, size)); }
void *realloc(void *pointer, size_t size) { COUNTED(__libc_realloc(pointer, size)); }
void *memalign(size_t alignment, size_t size) { COUNTED(__libc_memalign(alignment, size)); }
void *aligned_alloc(size_t alignment, size_t size) { COUNTED(__libc_memalign(alignment, size)); }
int posix_memalign(void **pointer, size_t alignment, size_t size) {
    if (counting) allocations++;
    *pointer = __libc_memalign(alignment, size);
    return *pointer ? 0 : ENOMEM;
}

/* The sessions the calls run on, made before anything is counted. */
struct sessions {
    recur_session *e3_batch, *e1_stream, *e3_stream, *stateful, *three_features;
    unsigned char *state, *other_state;
    size_t state_bytes;
};

/* Every call the rules cover, successes and failures, many times; the forecasts go to `out`
   (64 floats). */
static void exercise(struct sessions *s, float *out) {
    float input[4 * 20], forecasts[4];
    int ready = 0, written = 0;
    for (int i = 0; i < 4 * 20; i++) input[i] = sample(i);
    for (int round = 0; round < 3; round++) {
        recur_predict(s->e3_batch, input, 4, out + 0);
        for (int t = 0; t < 45; t++) {
            recur_push(s->e1_stream, sample(t), forecasts, &ready);
            if (ready) out[4 + written++ % 8] = forecasts[0];
            recur_push_ahead(s->e3_stream, sample(t), 3, out + 12, &ready);
            recur_push_ahead(s->stateful, sample(t), 4, out + 16, &ready);
        }
        recur_state_save(s->e1_stream, s->state, s->state_bytes);
        recur_reset(s->e1_stream);
        recur_state_load(s->e1_stream, s->state, s->state_bytes);
        recur_push(s->e1_stream, 1.5f, out + 20, &ready);
        recur_state_save(s->stateful, s->other_state, recur_state_bytes(s->stateful));
        recur_reset(s->stateful);
        recur_state_load(s->stateful, s->other_state, recur_state_bytes(s->stateful));
        /* Failures: their sentences are written without allocating too. */
        recur_predict(s->e3_batch, input, 0, out + 24);
        input[7] = NAN;
        recur_predict(s->e3_batch, input, 4, out + 24);
        input[7] = 1;
        recur_push(s->e1_stream, NAN, forecasts, &ready);
        recur_push_ahead(s->e1_stream, 1, 0, forecasts, &ready);
        recur_push(NULL, 1, forecasts, &ready);
        recur_state_save(s->e1_stream, s->state, 3);
        recur_state_load(s->e1_stream, s->other_state, recur_state_bytes(s->stateful));
        recur_reset(NULL);
        recur_push(s->three_features, 1, forecasts, &ready);
        recur_predict(s->stateful, input, 1, out + 24);
        out[25] += (float)recur_state_bytes(s->e3_stream) + (float)strlen(recur_last_error());
    }
}

static void make_sessions(struct sessions *s, recur_model *e1, recur_model *e3, recur_model *stateful) {
    void *memory;
    static recur_model *three_features;
    if (three_features == NULL) three_features = open_model(THREE_FEATURES);
    s->three_features = new_session(three_features, 1, 5, &memory);
    s->e3_batch = new_session(e3, 4, 20, &memory);
    s->e1_stream = new_session(e1, 1, 20, &memory);
    s->e3_stream = new_session(e3, 1, 20, &memory);
    s->stateful = new_session(stateful, 1, 1, &memory);
    s->state_bytes = recur_state_bytes(s->e1_stream);
    s->state = malloc(s->state_bytes);
    s->other_state = malloc(recur_state_bytes(s->stateful));
}

static void allow_only_exit(void) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        _exit(3);
    }
}

enum { CALLS, GETPID, OPEN };

/* Runs `what` in a child under the filter; returns how it ended (the signal, or 0 for exit 0). */
static int sandboxed(int what, recur_model *e1, recur_model *e3, recur_model *stateful, float *shared) {
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        struct sessions s;
        if (what == CALLS) make_sessions(&s, e1, e3, stateful);
        allow_only_exit();
        if (what == CALLS) exercise(&s, shared);
        if (what == GETPID) syscall(SYS_getpid);
        if (what == OPEN) {
            recur_model *model;
            recur_model_open(E1, &model);
        }
        syscall(SYS_exit_group, 0);
    }
    int status;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) return WTERMSIG(status);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -WEXITSTATUS(status);
}

int main(void) {
    counting = 1;
    recur_model *e1 = open_model(E1);
    counting = 0;
    long control = allocations;
    CHECK(control > 0, "the counter sees recur_model_open's allocations (%ld)", control);
    recur_model *e3 = open_model(E3), *stateful = open_model(STATEFUL);

    struct sessions s;
    make_sessions(&s, e1, e3, stateful);
    float out[64] = {0};
    allocations = 0;
    counting = 1;
    exercise(&s, out);
    counting = 0;
    CHECK(allocations == 0, "%ld allocations in the calls that must make none", allocations);
    printf("alloc_syscall_test: recur_model_open made %ld allocations; the calls after it %ld\n", control, allocations);

    /* Making sessions, refusals included, in memory allocated before. */
    void *memory;
    size_t bytes = recur_session_bytes(e3, 4, 20);
    posix_memalign(&memory, RECUR_SESSION_ALIGNMENT, bytes);
    recur_session *session;
    volatile int queried = 0;
    allocations = 0;
    counting = 1;
    for (int round = 0; round < 3; round++) {
        recur_session_bytes(e3, 4, 20);
        recur_session_init(e3, memory, bytes, 4, 20, &session);
        recur_session_bytes(e1, 1, 0);
        recur_session_init(e1, memory, 16, 1, 20, &session);
        recur_session_init(stateful, memory, bytes, 3, 1, &session);
        queried += recur_model_window(e3) + recur_model_features(e3) + recur_model_outputs(e3) + recur_model_batch(e3);
    }
    counting = 0;
    CHECK(allocations == 0, "%ld allocations making sessions", allocations);
    free(memory);

    float *shared = mmap(NULL, 64 * sizeof(float), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(shared, 0, 64 * sizeof(float));
    int ended = sandboxed(CALLS, e1, e3, stateful, shared);
    CHECK(ended == 0, "the calls under the filter ended with %s %d", ended > 0 ? "signal" : "status", ended > 0 ? ended : -ended);
    CHECK(memcmp(shared, out, 64 * sizeof(float)) == 0, "the sandboxed calls gave other numbers");
    CHECK(sandboxed(GETPID, e1, e3, stateful, shared) == SIGSYS, "getpid() under the filter is not stopped");
    CHECK(sandboxed(OPEN, e1, e3, stateful, shared) == SIGSYS, "recur_model_open under the filter is not stopped");
    printf("alloc_syscall_test: no system call under seccomp; getpid() and recur_model_open were stopped\n");
    if (failures) {
        fprintf(stderr, "alloc_syscall_test: %d checks failed\n", failures);
        return 1;
    }
    return 0;
}
