#!/usr/bin/env bash
# What a call of the C interface costs beside the kernel's own forward pass: for each model,
# `recur bench`'s batch-1 median, then the median of recur_predict (one window) and of recur_push
# (one sample, the forecast from the window it completes) in a C program linked with
# librecur.so, in rounds that alternate the two so that the machine's load falls on both alike.
# After tools/setup.sh.
#
# usage: tools/bench-c-abi.sh [ROUNDS] [MODEL ...]   (default: 3 rounds, E1 and E3)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shift || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(models/e1_simplernn.h5 models/e3_bilstm2.h5)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/bench.c" <<'C'
#include <recur.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median over 201 blocks of `calls` calls, in µs per call. */
int main(int argc, char **argv) {
    recur_model *model;
    if (argc != 3 || recur_model_open(argv[1], &model) != RECUR_OK) return 1;
    int calls = atoi(argv[2]);
    size_t bytes = recur_session_bytes(model, 1, 20);
    void *first = aligned_alloc(64, (bytes + 63) / 64 * 64), *second = aligned_alloc(64, (bytes + 63) / 64 * 64);
    recur_session *predicting, *streaming;
    recur_session_init(model, first, bytes, 1, 20, &predicting);
    recur_session_init(model, second, bytes, 1, 20, &streaming);
    float window[20], forecast;
    int ready;
    for (int i = 0; i < 20; i++) window[i] = 50.0f + (float)i;
    enum { BLOCKS = 201 };
    double predict[BLOCKS], push[BLOCKS];
    for (int block = 0; block < BLOCKS; block++) {
        double start = now();
        for (int i = 0; i < calls; i++) {
            window[i % 20] += 0.001f;
            recur_predict(predicting, window, 1, &forecast);
        }
        predict[block] = (now() - start) / calls * 1e6;
        start = now();
        for (int i = 0; i < calls; i++) recur_push(streaming, 50.0f + (float)(i % 37), &forecast, &ready);
        push[block] = (now() - start) / calls * 1e6;
    }
    qsort(predict, BLOCKS, sizeof(double), by_value);
    qsort(push, BLOCKS, sizeof(double), by_value);
    printf("%.2f %.2f\n", predict[BLOCKS / 2], push[BLOCKS / 2]);
    return 0;
}
C
cc -O2 "$work/bench.c" $(PKG_CONFIG_PATH=.build/release pkg-config --cflags --libs recur) -o "$work/bench"
echo "host: $(grep -m1 -o 'avx512f' /proc/cpuinfo || echo 'no avx512f'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "model | round | recur bench batch-1 median µs | recur_predict µs | recur_push µs"
for model in "${models[@]}"; do
    for round in $(seq "$rounds"); do
        bench=$(.build/release/recur bench "$model" --window 20 --iterations 2000 --json \
            | python3 -c 'import json, sys; print(json.load(sys.stdin)["batch1_median_us"])')
        read -r predict push < <("$work/bench" "$model" 50)
        echo "$model | $round | $bench | $predict | $push"
    done
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
