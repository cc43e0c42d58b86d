/* A stream that survives restarts: its window and a stateful model's state are kept in a file
   between runs. Each run loads STATE when the file exists, streams standard input as
   examples/c/stream.c does (one number per line in, one forecast per line out once the window
   is full), and at the end writes the state back: to STATE.tmp, then renamed over STATE, so that
   a crash never leaves half a state. Two runs over the two halves of a series print what one
   run over the whole series prints.

     ./persist models/e1_simplernn.h5 state.bin 20 < first-half.txt
     ./persist models/e1_simplernn.h5 state.bin 20 < second-half.txt

   usage: persist MODEL STATE [WINDOW]   (exit status 65 for a state file of another model or
   window, 73 when the state cannot be written) */
#include <recur.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    char *bytes = NULL;
    size_t used = 0, capacity = 0, got;
    do {
        if (used == capacity) {
            capacity = capacity ? 2 * capacity : 4096;
            char *grown = realloc(bytes, capacity);
            if (grown == NULL) break;
            bytes = grown;
        }
        got = fread(bytes + used, 1, capacity - used, file);
        used += got;
    } while (got > 0);
    fclose(file);
    *size = used;
    return bytes;
}

static int write_state(recur_session *session, const char *path) {
    size_t bytes = recur_state_bytes(session);
    void *state = malloc(bytes);
    char temporary[4096];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *file = state ? fopen(temporary, "wb") : NULL;
    int written = file && recur_state_save(session, state, bytes) == RECUR_OK
        && fwrite(state, 1, bytes, file) == bytes;
    if (file && fclose(file) != 0) written = 0;
    free(state);
    if (!written || rename(temporary, path) != 0) {
        fprintf(stderr, "persist: the state cannot be written to %s\n", path);
        remove(temporary);
        return RECUR_CANNOT_CREATE;
    }
    return RECUR_OK;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: persist MODEL STATE [WINDOW]\n");
        return 64;
    }
    int window = argc > 3 ? atoi(argv[3]) : 0;
    recur_model *model;
    int status = recur_model_open(argv[1], &model);
    size_t bytes = status == RECUR_OK ? recur_session_bytes(model, 1, window) : 0;
    void *memory = bytes ? aligned_alloc(RECUR_SESSION_ALIGNMENT, (bytes + 63) / 64 * 64) : NULL;
    recur_session *session;
    if (memory == NULL || (status = recur_session_init(model, memory, bytes, 1, window, &session)) != RECUR_OK) {
        fprintf(stderr, "persist: %s\n", recur_last_error());
        return status ? status : 1;
    }

    size_t saved_bytes;
    void *saved = read_file(argv[2], &saved_bytes);
    if (saved) {
        status = recur_state_load(session, saved, saved_bytes);
        free(saved);
        if (status != RECUR_OK) {
            fprintf(stderr, "persist: %s: %s\n", argv[2], recur_last_error());
            return status;
        }
    }

    int outputs = recur_session_outputs(session);
    float *forecast = malloc(sizeof(float) * (size_t)outputs);
    char line[4096];
    while (forecast && fgets(line, sizeof line, stdin)) {
        char *end;
        float sample = strtof(line, &end);
        if (end == line) continue;
        int ready;
        if (recur_push(session, sample, forecast, &ready) != RECUR_OK) {
            fprintf(stderr, "persist: %s\n", recur_last_error());
            continue;
        }
        if (!ready) continue;
        for (int i = 0; i < outputs; i++) printf(i ? ",%.9g" : "%.9g", forecast[i]);
        putchar('\n');
    }
    free(forecast);
    status = write_state(session, argv[2]);
    free(memory);
    recur_model_close(model);
    return status;
}
