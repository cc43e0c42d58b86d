/* One model, two sessions, two threads at once (recur.h, THREADS): each thread's forecasts are
   the ones one thread gets alone, to the bit. tools/test-c-abi.sh runs it under ThreadSanitizer,
   with librecur built with -sanitize=thread, so that a write to anything the sessions share (the
   model, the runtime's state) while the other thread reads it is reported. E3 is a
   Bidirectional LSTM: in the `recur` command its two directions may run on two threads; in a
   session they run on the calling one.

   `threads_test shared` is the positive control: both threads push into one session, which
   recur.h forbids, and ThreadSanitizer must report the race. */
#include "support.h"

#include <pthread.h>

enum { ROUNDS = 3, WINDOWS = 24, SAMPLES = 60 };

struct work {
    recur_model *model;
    int offset;
    /* The stream's session, when the test shares one (the positive control). */
    recur_session *shared;
    float predictions[WINDOWS];
    float forecasts[SAMPLES];
};

/* Sessions made in the thread itself (recur_session_init of one model from two threads at
   once), predictions in batches of 4, a stream with a state saved and loaded midway. */
static void *run(void *argument) {
    struct work *work = argument;
    void *batch_memory, *stream_memory;
    recur_session *batch = new_session(work->model, 4, 20, &batch_memory);
    recur_session *stream = work->shared ? work->shared : new_session(work->model, 1, 20, &stream_memory);
    size_t bytes = recur_state_bytes(stream);
    unsigned char *state = malloc(bytes);
    for (int round = 0; round < ROUNDS; round++) {
        float input[4 * 20];
        for (int first = 0; first < WINDOWS; first += 4) {
            for (int i = 0; i < 4 * 20; i++) input[i] = sample(work->offset + first * 20 + i);
            recur_predict(batch, input, 4, work->predictions + first);
        }
        recur_reset(stream);
        for (int t = 0; t < SAMPLES; t++) {
            int ready;
            float forecast = 0;
            recur_push(stream, sample(work->offset + t), &forecast, &ready);
            work->forecasts[t] = forecast;
            if (t == SAMPLES / 2) {
                recur_state_save(stream, state, bytes);
                recur_reset(stream);
                recur_state_load(stream, state, bytes);
            }
        }
    }
    free(state);
    free(batch_memory);
    if (!work->shared) free(stream_memory);
    return NULL;
}

int main(int argc, char **argv) {
    recur_model *model = open_model(E3);
    if (argc > 1 && strcmp(argv[1], "shared") == 0) {
        void *memory;
        struct work racing[2] = {{.model = model, .offset = 0}, {.model = model, .offset = 1000}};
        racing[0].shared = racing[1].shared = new_session(model, 1, 20, &memory);
        pthread_t threads[2];
        for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, run, &racing[i]);
        for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
        printf("threads_test shared: two threads pushed into one session\n");
        return 0;
    }
    struct work alone[2] = {{.model = model, .offset = 0}, {.model = model, .offset = 1000}};
    struct work together[2] = {{.model = model, .offset = 0}, {.model = model, .offset = 1000}};
    run(&alone[0]);
    run(&alone[1]);
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) pthread_create(&threads[i], NULL, run, &together[i]);
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    for (int i = 0; i < 2; i++) {
        CHECK(memcmp(alone[i].predictions, together[i].predictions, sizeof alone[i].predictions) == 0,
              "thread %d: predictions differ from one thread's", i);
        CHECK(memcmp(alone[i].forecasts, together[i].forecasts, sizeof alone[i].forecasts) == 0,
              "thread %d: forecasts differ from one thread's", i);
    }
    CHECK(memcmp(alone[0].forecasts, alone[1].forecasts, sizeof alone[0].forecasts) != 0, "the threads streamed different series");
    recur_model_close(model);
    if (failures) {
        fprintf(stderr, "threads_test: %d checks failed\n", failures);
        return 1;
    }
    printf("threads_test: two sessions on two threads give one thread's numbers\n");
    return 0;
}
