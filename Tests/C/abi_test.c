/* The C interface's behaviour: every call of recur.h, its refusals (status and sentence), and
   the stream's numbers against recur_predict's on the same windows, bit for bit. Keras's own
   numbers are checked through the same calls by python/tests; `recur stream`'s by
   tools/test-c-abi.sh with examples/c/stream.c. */
#include "support.h"

#include <math.h>
#include <pthread.h>

static void opening(void) {
    recur_model *model = (recur_model *)1;
    CHECK_ERROR(recur_model_open("/nonexistent/model.h5", &model), RECUR_NO_INPUT, "/nonexistent/model.h5");
    CHECK(model == NULL, "a failed open leaves *model NULL");
    CHECK_ERROR(recur_model_open("README.md", &model), RECUR_DATA, "README.md is not a Keras model file");
    CHECK_ERROR(recur_model_open("Tests/Fixtures/refused/keras3/embedding.h5", &model), RECUR_DATA,
                "layer 'embedding' is an Embedding, which recur does not implement");
    CHECK_ERROR(recur_model_open(NULL, &model), RECUR_USAGE, "recur_model_open: path is NULL");
    CHECK_ERROR(recur_model_open(E1, NULL), RECUR_USAGE, "recur_model_open: model is NULL");
    recur_model_close(NULL);
    CHECK(strcmp(recur_version(), RECUR_VERSION) == 0, "recur_version() is %s", recur_version());
}

static void describing(void) {
    struct { const char *path; int window, features, outputs, batch; } models[] = {
        {E1, 0, 1, 1, 0}, {FIXED_WINDOW, 12, 1, 1, 0}, {TWO_OUTPUTS, 0, 1, 2, 0},
        {THREE_FEATURES, 0, 3, 1, 0}, {STATEFUL, 0, 1, 1, 1}, {STATEFUL_BATCH2, 0, 2, 0, 2},
    };
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        recur_model *model = open_model(models[i].path);
        CHECK(recur_model_window(model) == models[i].window, "%s: window %d", models[i].path, recur_model_window(model));
        CHECK(recur_model_features(model) == models[i].features, "%s: features %d", models[i].path, recur_model_features(model));
        CHECK(recur_model_outputs(model) == models[i].outputs, "%s: outputs %d", models[i].path, recur_model_outputs(model));
        CHECK(recur_model_batch(model) == models[i].batch, "%s: batch %d", models[i].path, recur_model_batch(model));
        recur_model_close(model);
    }
    CHECK(recur_model_window(NULL) == -1 && recur_model_features(NULL) == -1 && recur_model_outputs(NULL) == -1
          && recur_model_batch(NULL) == -1, "NULL models give -1");
    CHECK(strstr(recur_last_error(), "recur_model_batch: model is NULL") != NULL, "%s", recur_last_error());
}

static void making_sessions(void) {
    recur_model *e1 = open_model(E1), *fixed = open_model(FIXED_WINDOW), *batch2 = open_model(STATEFUL_BATCH2);
    CHECK(recur_session_bytes(e1, 0, 20) == 0, "batch 0");
    CHECK(strstr(recur_last_error(), "recur_session_bytes: the batch must be at least 1, not 0"), "%s", recur_last_error());
    CHECK(recur_session_bytes(e1, 1, -3) == 0, "window -3");
    CHECK(recur_session_bytes(e1, 1, 0) == 0, "no window for a model of any length");
    CHECK(strstr(recur_last_error(), E1 " takes windows of any length; give recur_session_bytes a window"), "%s", recur_last_error());
    CHECK(recur_session_bytes(fixed, 1, 5) == 0, "a window the file contradicts");
    CHECK(strstr(recur_last_error(), FIXED_WINDOW " takes windows of 12 steps, not 5"), "%s", recur_last_error());
    CHECK(recur_session_bytes(fixed, 1, 0) == recur_session_bytes(fixed, 1, 12), "window 0 is the file's own");
    CHECK(recur_session_bytes(batch2, 1, 4) == 0, "a stateful model's own batch only");
    CHECK(strstr(recur_last_error(), "is stateful with a batch of 2: its sessions run that batch, not 1"), "%s", recur_last_error());
    CHECK(recur_session_bytes(e1, 8, 20) > recur_session_bytes(e1, 1, 20), "a larger batch needs more memory");
    CHECK(recur_session_bytes(e1, 2147483647, 2147483647) == 0, "an impossible size");
    CHECK(strstr(recur_last_error(), "recur_session_bytes: a batch of 2147483647 windows of 2147483647 steps is more than any memory holds"), "%s", recur_last_error());
    CHECK(recur_session_bytes(e1, 2147483647, 20) == 0, "a batch too large to plan");

    size_t bytes = recur_session_bytes(e1, 1, 20);
    unsigned char *memory = aligned_alloc(64, bytes + 64);
    recur_session *session = (recur_session *)1;
    CHECK_ERROR(recur_session_init(e1, memory + 8, bytes, 1, 20, &session), RECUR_USAGE, "aligned to 64 bytes");
    CHECK(session == NULL, "a failed init leaves *session NULL");
    CHECK_ERROR(recur_session_init(e1, memory, bytes - 1, 1, 20, &session), RECUR_USAGE, "the session needs");
    CHECK_ERROR(recur_session_init(e1, NULL, bytes, 1, 20, &session), RECUR_USAGE, "memory is NULL");
    CHECK_ERROR(recur_session_init(NULL, memory, bytes, 1, 20, &session), RECUR_USAGE, "model is NULL");
    CHECK(recur_session_init(e1, memory, bytes, 1, 20, &session) == RECUR_OK, "%s", recur_last_error());
    CHECK((void *)session == (void *)memory, "the session is its memory");
    CHECK(recur_session_window(session) == 20 && recur_session_outputs(session) == 1, "window and outputs");

    /* Memory that holds no session is refused, not run. */
    memset(memory, 0, bytes);
    float out;
    CHECK_ERROR(recur_predict(session, &out, 1, &out), RECUR_USAGE, "recur_predict: the session is not one that recur_session_init made");
    CHECK_ERROR(recur_reset(NULL), RECUR_USAGE, "recur_reset: session is NULL");
    CHECK(recur_state_bytes(NULL) == 0, "NULL session");
    free(memory);
    recur_model_close(e1);
    recur_model_close(fixed);
    recur_model_close(batch2);
}

/* recur_predict on a batch gives each row what it gives that row alone, to the bit. */
static void predicting(void) {
    recur_model *model = open_model(E3);
    void *memory, *single_memory;
    recur_session *batch = new_session(model, 4, 20, &memory), *single = new_session(model, 1, 20, &single_memory);
    float input[4 * 20], output[4], alone;
    for (int i = 0; i < 4 * 20; i++) input[i] = sample(i * 3);
    CHECK(recur_predict(batch, input, 4, output) == RECUR_OK, "%s", recur_last_error());
    for (int row = 0; row < 4; row++) {
        CHECK(recur_predict(single, input + row * 20, 1, &alone) == RECUR_OK, "%s", recur_last_error());
        CHECK(memcmp(&alone, output + row, sizeof alone) == 0, "row %d: %.9g alone, %.9g in the batch", row, alone, output[row]);
    }
    CHECK_ERROR(recur_predict(batch, input, 5, output), RECUR_USAGE, "rows must be from 1 to the session's batch of 4, not 5");
    CHECK_ERROR(recur_predict(batch, input, 0, output), RECUR_USAGE, "not 0");
    CHECK_ERROR(recur_predict(batch, NULL, 1, output), RECUR_USAGE, "recur_predict: input is NULL");
    CHECK_ERROR(recur_predict(batch, input, 1, NULL), RECUR_USAGE, "recur_predict: output is NULL");
    input[27] = NAN;
    output[1] = 12345;
    CHECK_ERROR(recur_predict(batch, input, 4, output), RECUR_DATA, "recur_predict: row 2, value 8 is not a finite number");
    CHECK(output[1] == 12345, "a refused call writes nothing");
    free(memory);
    free(single_memory);
    recur_model_close(model);
}

/* Forecast after forecast of recur_push (with a horizon: the windows that end with the forecasts
   before it) is recur_predict's on that window. */
static void streaming_matches_predict(const char *path, int window, int horizon) {
    recur_model *model = open_model(path);
    void *stream_memory, *predict_memory;
    recur_session *stream = new_session(model, 1, window, &stream_memory);
    recur_session *predict = new_session(model, 1, window, &predict_memory);
    float samples[60], forecasts[8], sequence[64], want;
    int ready, readies = 0;
    for (int t = 0; t < 60; t++) {
        samples[t] = sample(t);
        CHECK(recur_push_ahead(stream, samples[t], horizon, forecasts, &ready) == RECUR_OK, "%s", recur_last_error());
        CHECK(ready == (t >= window - 1), "%s: sample %d ready %d", path, t, ready);
        if (!ready) continue;
        readies++;
        memcpy(sequence, samples + t + 1 - window, sizeof(float) * (size_t)window);
        for (int step = 0; step < horizon; step++) {
            CHECK(recur_predict(predict, sequence + step, 1, &want) == RECUR_OK, "%s", recur_last_error());
            CHECK(memcmp(&want, forecasts + step, sizeof want) == 0, "%s: sample %d, step %d: %.9g, predict %.9g",
                  path, t, step, forecasts[step], want);
            sequence[window + step] = forecasts[step];
        }
    }
    CHECK(readies == 60 - window + 1, "%d forecasts", readies);
    free(stream_memory);
    free(predict_memory);
    recur_model_close(model);
}

/* Pushes samples first ..< first + count and returns the last forecast. */
static float stream_of(recur_session *session, int first, int count) {
    float forecast = NAN;
    int ready;
    for (int t = first; t < first + count; t++) recur_push(session, sample(t), &forecast, &ready);
    return forecast;
}

static void refusing_to_stream(void) {
    struct { const char *path; int batch, window, status; const char *sentence; } cases[] = {
        {THREE_FEATURES, 1, 5, RECUR_DATA, THREE_FEATURES " takes 3 values per step; recur_push takes one sample at a time"},
        {STATEFUL, 1, 3, RECUR_USAGE, STATEFUL " is stateful and the session's window is 3 steps; recur_push feeds a stateful model one sample per step, its state carried, so its session needs window 1"},
        {STATEFUL_FIXED, 1, 0, RECUR_DATA, STATEFUL_FIXED " is stateful with windows of 4 steps; recur_push feeds a stateful model one sample per step"},
        {STATEFUL_BATCH2, 2, 1, RECUR_DATA, STATEFUL_BATCH2 " is stateful with a batch of 2; recur_push runs one sequence"},
    };
    float forecasts[4];
    int ready = 7;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        recur_model *model = open_model(cases[i].path);
        void *memory;
        recur_session *session = new_session(model, cases[i].batch, cases[i].window, &memory);
        CHECK_ERROR(recur_push(session, 1.0f, forecasts, &ready), cases[i].status, cases[i].sentence);
        CHECK(ready == 0, "not ready");
        free(memory);
        recur_model_close(model);
    }
    recur_model *two = open_model(TWO_OUTPUTS);
    void *memory;
    recur_session *session = new_session(two, 1, 4, &memory);
    CHECK_ERROR(recur_push_ahead(session, 1.0f, 2, forecasts, &ready), RECUR_USAGE,
                TWO_OUTPUTS " outputs 2 values per window; a horizon above 1 feeds each forecast back as the next sample, so it needs a model that outputs one");
    CHECK_ERROR(recur_push_ahead(session, 1.0f, 0, forecasts, &ready), RECUR_USAGE, "recur_push_ahead: the horizon must be at least 1, not 0");
    CHECK_ERROR(recur_push(session, 1.0f, NULL, &ready), RECUR_USAGE, "recur_push: forecast is NULL");
    CHECK_ERROR(recur_push(session, 1.0f, forecasts, NULL), RECUR_USAGE, "recur_push: ready is NULL");
    free(memory);
    recur_model_close(two);

    /* A sample that is not finite is refused and leaves the window as it was. */
    recur_model *model = open_model(E1);
    void *clean_memory, *dirty_memory;
    recur_session *clean = new_session(model, 1, 20, &clean_memory), *dirty = new_session(model, 1, 20, &dirty_memory);
    stream_of(dirty, 0, 10);
    CHECK_ERROR(recur_push(dirty, INFINITY, forecasts, &ready), RECUR_DATA, "recur_push: the sample is not a finite number");
    CHECK_ERROR(recur_push(dirty, NAN, forecasts, &ready), RECUR_DATA, "not a finite number");
    float want = stream_of(clean, 0, 30), got = stream_of(dirty, 10, 20);
    CHECK(memcmp(&want, &got, sizeof want) == 0, "%.9g after refused samples, %.9g without", got, want);
    free(clean_memory);
    free(dirty_memory);
    recur_model_close(model);
}

/* After recur_reset a stream (and a stateful model's state) starts again: the forecasts of a
   fresh session. */
static void resetting(const char *path, int window) {
    recur_model *model = open_model(path);
    void *used_memory, *fresh_memory;
    recur_session *used = new_session(model, 1, window, &used_memory), *fresh = new_session(model, 1, window, &fresh_memory);
    stream_of(used, 100, 37);
    CHECK(recur_reset(used) == RECUR_OK, "%s", recur_last_error());
    float forecast;
    int ready;
    recur_push(used, sample(0), &forecast, &ready);
    CHECK(ready == (window == 1), "%s: a reset empties the window", path);
    float want = stream_of(fresh, 0, 25), got = stream_of(used, 1, 24);
    CHECK(memcmp(&want, &got, sizeof want) == 0, "%s: %.9g after a reset, %.9g fresh", path, got, want);
    free(used_memory);
    free(fresh_memory);
    recur_model_close(model);
}

/* A state saved mid-stream and loaded into another session continues the stream exactly; a
   state that is not one, or not this session's, is refused and changes nothing. */
static void saving_state(const char *path, int window, const char *other_path) {
    recur_model *model = open_model(path), *other = open_model(other_path);
    void *whole_memory, *first_memory, *second_memory, *narrow_memory, *other_memory;
    recur_session *whole = new_session(model, 1, window, &whole_memory);
    recur_session *first = new_session(model, 1, window, &first_memory);
    recur_session *second = new_session(model, 1, window, &second_memory);
    recur_session *narrow = new_session(model, 1, window == 1 ? 2 : window - 1, &narrow_memory);
    recur_session *stranger = new_session(other, 1, window, &other_memory);
    size_t bytes = recur_state_bytes(first);
    CHECK(bytes == recur_state_bytes(second) && bytes > 40, "%zu bytes", bytes);
    unsigned char *state = malloc(bytes + 1), *foreign = malloc(recur_state_bytes(stranger));
    int split = window / 2 + 3;
    stream_of(whole, 0, split);
    stream_of(first, 0, split);
    CHECK_ERROR(recur_state_save(first, state, bytes - 1), RECUR_USAGE, "the state needs");
    /* An odd address: the state is bytes, not floats. */
    CHECK(recur_state_save(first, state + 1, bytes) == RECUR_OK, "%s", recur_last_error());

    CHECK_ERROR(recur_state_load(narrow, state + 1, bytes), RECUR_DATA, "saved by a session of another window or batch");
    recur_state_save(stranger, foreign, recur_state_bytes(stranger));
    CHECK_ERROR(recur_state_load(second, foreign, recur_state_bytes(stranger)), RECUR_DATA, "of another model");
    CHECK_ERROR(recur_state_load(second, state + 1, bytes - 1), RECUR_DATA, "cut short or damaged");
    CHECK_ERROR(recur_state_load(second, state + 2, bytes - 1), RECUR_DATA, "not a state that recur_state_save wrote");
    float bad = NAN;
    unsigned char *damaged = malloc(bytes);
    memcpy(damaged, state + 1, bytes);
    memcpy(damaged + bytes - sizeof bad, &bad, sizeof bad);
    CHECK_ERROR(recur_state_load(second, damaged, bytes), RECUR_DATA, "a value that is not a finite number");
    /* The refused loads left `second` a fresh session: it needs a whole window. */
    float forecast;
    int ready;
    if (window > 1) {
        recur_push(second, sample(0), &forecast, &ready);
        CHECK(!ready, "%s: a refused load changed the session", path);
    }
    CHECK(recur_state_load(second, state + 1, bytes) == RECUR_OK, "%s", recur_last_error());
    for (int t = split; t < 50; t++) {
        float want, got;
        int want_ready, got_ready;
        recur_push(whole, sample(t), &want, &want_ready);
        recur_push(second, sample(t), &got, &got_ready);
        CHECK(got_ready == want_ready, "%s: sample %d: ready %d, %d", path, t, got_ready, want_ready);
        CHECK(!want_ready || memcmp(&want, &got, sizeof want) == 0, "%s: sample %d: %.9g after a load, %.9g", path, t, got, want);
    }
    free(state);
    free(foreign);
    free(damaged);
    free(whole_memory);
    free(first_memory);
    free(second_memory);
    free(narrow_memory);
    free(other_memory);
    recur_model_close(model);
    recur_model_close(other);
}

/* A stateful model's recurrent state moves to a session of another window (chunk length) when
   the window is empty: three one-step calls, then a chunk of three, give what one chunk of six
   gives. A state with samples in its window is refused there. */
static void changing_chunk_length(void) {
    recur_model *model = open_model(STATEFUL);
    void *step_memory, *chunk_memory, *whole_memory;
    recur_session *step = new_session(model, 1, 1, &step_memory), *chunk = new_session(model, 1, 3, &chunk_memory);
    recur_session *whole = new_session(model, 1, 6, &whole_memory);
    float samples[6], want, got;
    for (int t = 0; t < 6; t++) samples[t] = sample(t) / 40.0f;
    recur_predict(whole, samples, 1, &want);
    for (int t = 0; t < 3; t++) recur_predict(step, samples + t, 1, &got);
    size_t bytes = recur_state_bytes(step);
    unsigned char *state = malloc(bytes);
    CHECK(recur_state_save(step, state, bytes) == RECUR_OK, "%s", recur_last_error());
    CHECK(recur_state_load(chunk, state, bytes) == RECUR_OK, "%s", recur_last_error());
    CHECK(recur_predict(chunk, samples + 3, 1, &got) == RECUR_OK, "%s", recur_last_error());
    CHECK(memcmp(&want, &got, sizeof want) == 0, "%.9g after a state moved from one-step calls, %.9g in one call", got, want);
    int ready;
    recur_push(step, 1.0f, &got, &ready);
    recur_state_save(step, state, bytes);
    CHECK_ERROR(recur_state_load(chunk, state, bytes), RECUR_DATA, "another window or batch");
    free(state);
    free(step_memory);
    free(chunk_memory);
    free(whole_memory);
    recur_model_close(model);
}

static void *error_in_another_thread(void *unused) {
    (void)unused;
    return (void *)(strcmp(recur_last_error(), "") == 0 ? "clean" : recur_last_error());
}

static void errors_are_per_thread(void) {
    recur_model *model;
    recur_model_open("/nonexistent/model.h5", &model);
    pthread_t thread;
    void *seen;
    pthread_create(&thread, NULL, error_in_another_thread, NULL);
    pthread_join(thread, &seen);
    CHECK(strcmp(seen, "clean") == 0, "another thread sees '%s'", (const char *)seen);
    CHECK(strstr(recur_last_error(), "/nonexistent/model.h5"), "this thread keeps its own");
}

int main(void) {
    opening();
    describing();
    making_sessions();
    predicting();
    streaming_matches_predict(E1, 20, 1);
    streaming_matches_predict(E1, 20, 3);
    streaming_matches_predict(E3, 20, 2);
    streaming_matches_predict(FIXED_WINDOW, 12, 1);
    refusing_to_stream();
    resetting(E1, 20);
    resetting(STATEFUL, 1);
    saving_state(E1, 20, E3);
    saving_state(STATEFUL, 1, "Tests/Fixtures/stateful/keras2/stateful_gru_stack.h5");
    changing_chunk_length();
    errors_are_per_thread();
    if (failures) {
        fprintf(stderr, "abi_test: %d checks failed\n", failures);
        return 1;
    }
    printf("abi_test: every check passed\n");
    return 0;
}
