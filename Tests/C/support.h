/* What the C interface's tests share: checks that count failures, sessions in malloc'ed memory,
   and the fixtures' paths (the tests run from the repository's root). */
#ifndef RECUR_TEST_SUPPORT_H
#define RECUR_TEST_SUPPORT_H

#include <recur.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(condition, ...) do { \
        if (!(condition)) { \
            failures++; \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #condition); \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n"); \
        } \
    } while (0)

/* The last error contains `text`. */
#define CHECK_ERROR(status, want, text) do { \
        int got_ = (status); \
        CHECK(got_ == (want), "status %d, not %d (%s)", got_, (want), recur_last_error()); \
        CHECK(strstr(recur_last_error(), (text)) != NULL, "'%s' does not say '%s'", recur_last_error(), (text)); \
    } while (0)

#define E1 "models/e1_simplernn.h5"
#define E3 "models/e3_bilstm2.h5"
#define FIXED_WINDOW "Tests/Fixtures/stream/fixed_window.h5"
#define TWO_OUTPUTS "Tests/Fixtures/stream/two_outputs.h5"
#define THREE_FEATURES "Tests/Fixtures/keras3/simplernn_f3.h5"
#define STATEFUL "Tests/Fixtures/stateful/keras3/stateful_lstm.h5"
#define STATEFUL_BATCH2 "Tests/Fixtures/stateful/keras3/stateful_lstm_batch2.h5"
#define STATEFUL_FIXED "Tests/Fixtures/stream/stateful_fixed_window.h5"

static recur_model *open_model(const char *path) {
    recur_model *model = NULL;
    int status = recur_model_open(path, &model);
    if (status != RECUR_OK) {
        fprintf(stderr, "cannot open %s: %s\n", path, recur_last_error());
        exit(1);
    }
    return model;
}

/* A session in memory of its own, which the caller frees. */
static recur_session *new_session(recur_model *model, int batch, int window, void **memory) {
    size_t bytes = recur_session_bytes(model, batch, window);
    recur_session *session = NULL;
    if (bytes == 0 || posix_memalign(memory, RECUR_SESSION_ALIGNMENT, bytes) != 0
        || recur_session_init(model, *memory, bytes, batch, window, &session) != RECUR_OK) {
        fprintf(stderr, "cannot make a session (batch %d, window %d): %s\n", batch, window, recur_last_error());
        exit(1);
    }
    return session;
}

/* The tests' series: a triangle wave with a wobble (no libm needed). */
static float sample(int index) {
    int phase = index % 40;
    float wave = (float)(phase < 20 ? phase : 40 - phase);
    return 40.0f + 2.0f * wave + (float)((index * 7919) % 13) * 0.25f;
}

#endif
