#!/usr/bin/env bash
# Checks recur_format_float (CSupport/CIOSupport) against glibc's snprintf("%.9g") on every one of
# the 2^32 float32 bit patterns: recur prints every number through it, and the command-line
# contract is "%.9g". Takes about ten minutes per core; runs one process per core.
#
#   tools/check-format-float.sh            # every float32
#   tools/check-format-float.sh 100000000  # the first N patterns of each part only
set -euo pipefail
cd "$(dirname "$0")/.."

folder=$(mktemp -d)
trap 'rm -rf "$folder"' EXIT
cat > "$folder/check.c" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CIOSupport.h"

int main(int argc, char **argv) {
    uint64_t begin = strtoull(argv[1], NULL, 10), end = strtoull(argv[2], NULL, 10);
    uint64_t mismatches = 0;
    for (uint64_t pattern = begin; pattern < end; pattern++) {
        uint32_t bits = (uint32_t)pattern;
        float value;
        memcpy(&value, &bits, sizeof value);
        char mine[32], theirs[32];
        int length = recur_format_float(mine, sizeof mine, value);
        int expected = snprintf(theirs, sizeof theirs, "%.9g", (double)value);
        if (length != expected || memcmp(mine, theirs, (size_t)expected + 1) != 0) {
            if (mismatches++ < 20) printf("0x%08x: recur '%s', printf '%s'\n", bits, mine, theirs);
        }
    }
    printf("patterns %llu..<%llu: %llu mismatches\n", (unsigned long long)begin, (unsigned long long)end,
           (unsigned long long)mismatches);
    return mismatches != 0;
}
EOF
cc -O2 -ICSupport/CIOSupport/include -o "$folder/check" "$folder/check.c" CSupport/CIOSupport/io_support.c

parts=$(nproc)
limit=${1:-}
step=$(( (1 << 32) / parts ))
pids=()
for part in $(seq 0 $((parts - 1))); do
    begin=$((part * step))
    end=$(( part == parts - 1 ? 1 << 32 : begin + step ))
    [ -n "$limit" ] && end=$(( begin + limit < end ? begin + limit : end ))
    "$folder/check" "$begin" "$end" > "$folder/part$part" &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
cat "$folder"/part*
[ "$status" = 0 ] && echo "recur_format_float matches printf(\"%.9g\") on every pattern checked"
exit "$status"
