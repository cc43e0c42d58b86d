#!/usr/bin/env bash
# Benchmarks `recur stream` beside `recur bench` in the same run (docs/stream.md records results).
#
#   tools/bench-stream.sh                  # release build in .build, 5 runs per figure
#   SCRATCH=.build-stream RUNS=3 tools/bench-stream.sh
#
# For each model, at window 20:
#   forward   `recur bench MODEL --window 20 --json`: batch-1 median µs per window, and the rate
#             that gives (1e6 / median), the ceiling for a stream;
#   pipe      samples per second through a pipe, `cat samples | recur stream MODEL --window 20
#             > /dev/null`, over recur's whole run (model loading included): by the wall clock,
#             and per second of recur's CPU time (user + system), which other work on the
#             machine does not inflate (but a second kernel thread does: it spins between
#             samples, so for a "2" row with a Bidirectional model only the wall rate counts);
#             the overhead is 1e6 / (CPU rate) − the forward median;
#   latency   p50 and p99 µs per sample from reading a line to flushing its forecast, from
#             `recur stream … --stats` on the same input.
# Each figure is the median of RUNS runs. A last row streams through a tiny model (SimpleRNN(3),
# window 1: a forward pass of about 0.1 µs), so that its time per sample is the stream's own
# overhead: reading, parsing, formatting and writing.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${SCRATCH:-.build}
runs=${RUNS:-5}
swift build -c release --scratch-path "$scratch" --product recur > /dev/null
recur=$scratch/release/recur

e3=models/e3_bilstm2.h5
[ -f "$e3" ] || e3=Tests/Fixtures/external/m3_bilstm2.h5
# model, window, samples streamed per run, threads (RECUR_THREADS: "auto" leaves it unset, which
# keeps single windows on one thread; "2" makes the kernel run the two directions of a
# Bidirectional layer on a second thread even for one window)
cases=(
    "models/e1_simplernn.h5 20 1000000 auto"
    "$e3 20 100000 auto"
    "$e3 20 100000 2"
    "Tests/Fixtures/stream/tiny_rnn.h5 1 1000000 auto"
)

folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
# The generator: a sine wave with noise-free 4-decimal values, like a sensor's.
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "%.4f\n", 50 + 30 * sin(i * 0.3) }' > "$folder/samples"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "recur stream benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$recur, $runs runs per figure (medians)"
echo
printf '| model | W | threads | samples | bench batch-1 median µs | bench rate /s | stream /s (wall) | stream /s (CPU) | CPU rate / bench rate | overhead µs/sample | p50 µs | p99 µs |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for entry in "${cases[@]}"; do
    read -r model window samples threads <<< "$entry"
    if [ "$threads" = auto ]; then unset RECUR_THREADS; else export RECUR_THREADS=$threads; fi
    head -n "$samples" "$folder/samples" > "$folder/input"
    : > "$folder/bench"; : > "$folder/rate"; : > "$folder/cpurate"; : > "$folder/p50"; : > "$folder/p99"
    for _ in $(seq "$runs"); do
        RECUR_NO_PRELOAD=1 "$recur" bench "$model" --window "$window" --json \
            | sed 's/.*"batch1_median_us": \([^,]*\),.*/\1/' >> "$folder/bench"
        cat "$folder/input" | /usr/bin/time -f '%e %U %S' -o "$folder/time" "$recur" stream "$model" --window "$window" > /dev/null
        awk -v samples="$samples" '{ printf "%.1f\n", samples / $1 > "/dev/stdout"; printf "%.1f\n", samples / ($2 + $3) > "/dev/stderr" }' \
            "$folder/time" >> "$folder/rate" 2>> "$folder/cpurate"
        cat "$folder/input" | "$recur" stream "$model" --window "$window" --stats 2>&1 > /dev/null \
            | sed -n 's/.*p50 \([0-9.]*\), p99 \([0-9.]*\),.*/\1 \2/p' > "$folder/latency"
        cut -d' ' -f1 "$folder/latency" >> "$folder/p50"
        cut -d' ' -f2 "$folder/latency" >> "$folder/p99"
    done
    forward=$(median < "$folder/bench")
    awk -v model="$model" -v window="$window" -v threads="$threads" -v samples="$samples" -v forward="$forward" \
        -v rate="$(median < "$folder/rate")" -v cpurate="$(median < "$folder/cpurate")" \
        -v p50="$(median < "$folder/p50")" -v p99="$(median < "$folder/p99")" 'BEGIN {
        ceiling = 1e6 / forward
        printf "| %s | %d | %s | %d | %.3g | %.0f | %.0f | %.0f | %.3f | %.2f | %.2f | %.2f |\n", model, window, threads, samples,
            forward, ceiling, rate, cpurate, cpurate / ceiling, 1e6 / cpurate - forward, p50, p99
    }'
done
