/* `recur stream` through the C interface: one number per line on standard input; once the
   window is full, after every sample a line with the forecast for the next step (with a
   horizon, the next H forecasts, comma-separated), flushed at once. The same numbers, printed
   the same way (%.9g), as `recur stream MODEL [--window W] [--horizon H]`.

     PKG_CONFIG_PATH=.build/release cc examples/c/stream.c $(pkg-config --cflags --libs recur) -o stream
     ./stream models/e1_simplernn.h5 20 < samples.txt

   usage: stream MODEL [WINDOW [HORIZON]]   (WINDOW 0 or left out: the model's own)

   A line that is not a number (strtof's reading of it) or not a finite one is reported on
   standard error and skipped, leaving the window as it was; the status is then 65 at the end.
   C11 (aligned_alloc). */
#include <recur.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "stream: %s: %s\n", what, recur_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: stream MODEL [WINDOW [HORIZON]]\n");
        return 64;
    }
    int window = argc > 2 ? atoi(argv[2]) : 0;
    int horizon = argc > 3 ? atoi(argv[3]) : 1;

    recur_model *model;
    int status = recur_model_open(argv[1], &model);
    if (status != RECUR_OK) {
        fprintf(stderr, "stream: %s\n", recur_last_error());
        return status;
    }
    /* The session's memory is ours: its size from the model, aligned to 64 bytes. */
    size_t bytes = recur_session_bytes(model, 1, window);
    if (bytes == 0) {
        fprintf(stderr, "stream: %s\n", recur_last_error());
        recur_model_close(model);
        return RECUR_USAGE;
    }
    bytes = (bytes + RECUR_SESSION_ALIGNMENT - 1) / RECUR_SESSION_ALIGNMENT * RECUR_SESSION_ALIGNMENT;
    void *memory = aligned_alloc(RECUR_SESSION_ALIGNMENT, bytes);
    recur_session *session;
    if (memory == NULL) return fail("aligned_alloc");
    status = recur_session_init(model, memory, bytes, 1, window, &session);
    if (status != RECUR_OK) {
        fprintf(stderr, "stream: %s\n", recur_last_error());
        return status;
    }
    int outputs = recur_session_outputs(session);
    float *forecasts = malloc(sizeof(float) * (size_t)(horizon > 0 ? horizon : 1) * (size_t)outputs);
    if (forecasts == NULL) return fail("malloc");

    char line[4096];
    long number = 0, skipped = 0;
    while (fgets(line, sizeof line, stdin)) {
        number++;
        char *end;
        float sample = strtof(line, &end);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
        if (end == line || *end != '\0') {
            if (strspn(line, " \t\r\n") == strlen(line)) continue; /* a blank line */
            fprintf(stderr, "stream: line %ld is not a number\n", number);
            skipped++;
            continue;
        }
        int ready;
        status = recur_push_ahead(session, sample, horizon, forecasts, &ready);
        if (status == RECUR_DATA && !isfinite(sample)) {
            fprintf(stderr, "stream: line %ld: %s\n", number, recur_last_error());
            skipped++;
            continue;
        }
        if (status != RECUR_OK) {
            fprintf(stderr, "stream: %s\n", recur_last_error());
            return status;
        }
        if (!ready) continue;
        for (int i = 0; i < horizon * outputs; i++) printf(i ? ",%.9g" : "%.9g", forecasts[i]);
        putchar('\n');
        fflush(stdout);
    }
    free(forecasts);
    free(memory);
    recur_model_close(model);
    return skipped ? RECUR_DATA : RECUR_OK;
}
