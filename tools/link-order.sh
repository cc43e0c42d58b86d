#!/usr/bin/env bash
# Writes tools/link-order.txt, the order in which tools/setup.sh has lld lay out the release
# binary's functions: every function that recur's usual jobs run, those that more jobs run first.
#
#   tools/link-order.sh
#
# Linux maps a program's code in 64 KB blocks around each page it touches ("fault-around"). In
# the default layout the few hundred kilobytes a forecast runs are spread over the whole 13 MB of
# code (Swift runtime, ArgumentParser, HDF5, libc), so nearly all of it ends up resident; laid
# out together they take a fraction of that (docs/performance.md, peak memory). The jobs are run
# under Valgrind's callgrind, which records every function called. Valgrind 3.19 does not decode
# AVX-512, so the profiled binary is a portable build (RECUR_PORTABLE=1) linked like the release
# one; the kernel's functions that only the native build has (its 16-lane SIMD specializations)
# and libc's other CPU-specific variants of the string functions it saw are added from the
# native binary. A name the linker does not find costs nothing, so a slightly stale list only
# packs a little less well. Run it again after large changes; it takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v valgrind >/dev/null; then
    echo "link-order: installing valgrind"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi

./tools/setup.sh
native=.build/release/recur
RECUR_PORTABLE=1 RECUR_SCRATCH=.build-order RECUR_LINK_ORDER= ./tools/setup.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Valgrind cannot read the DWARF 5 the toolchain's clang writes; the symbols are enough.
strip --strip-debug -o "$work/recur" .build-order/release/recur

series=models/course_series.csv
tail -n +2 "$series" | cut -d, -f2 | head -200 > "$work/values.txt"
head -60 "$work/values.txt" | paste -sd, | cut -d, -f1-20 > "$work/window.txt"
for _ in 1 2 3; do cat "$work/window.txt"; done > "$work/windows.txt"

profile() {
    local name=$1 input=$2
    shift 2
    if ! valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/$name.callgrind" \
        "$work/recur" "$@" < "$input" > /dev/null 2> "$work/$name.log"; then
        tail -5 "$work/$name.log"
        echo "link-order: recur $* failed under valgrind" >&2
        exit 1
    fi
}
profile help /dev/null --help
profile forecast /dev/null forecast --output "$work/forecast.csv"
for model in e1_simplernn e4_bilstm3; do
    profile "forecast-$model" /dev/null forecast "models/$model.h5" --window 20 --split 20 --output "$work/forecast.csv"
done
profile forecast-batch1 /dev/null forecast models/e2_bilstm1.h5 --window 20 --split 20 --batch 1 --output "$work/forecast.csv"
profile predict /dev/null predict models/e1_simplernn.h5 --input "$work/windows.txt"
profile stream "$work/values.txt" stream models/e3_bilstm2.h5 --window 20
profile inspect /dev/null inspect models/e3_bilstm2.h5
profile bench /dev/null bench models/e1_simplernn.h5 --iterations 10 --batch 4
profile train /dev/null train --from models/e1_simplernn.h5 --epochs 1 --lr 1e-6 --output "$work/tuned.h5"
profile train-arch /dev/null train --arch "LSTM(8), Dense(1)" --epochs 1 --output "$work/trained.h5"

nm --defined-only "$native" | awk '$2 ~ /^[tTwW]$/ { print $3 }' > "$work/native.txt"
python3 - "$work" > tools/link-order.txt <<'PY'
import collections, glob, os, re, sys
work = sys.argv[1]
runs = collections.Counter()
for path in sorted(glob.glob(os.path.join(work, "*.callgrind"))):
    names = set()
    for line in open(path, errors="replace"):
        match = re.match(r"c?fn=\(\d+\) (\S+)$", line.rstrip("\n"))
        if match and not match.group(1).startswith("0x"):
            names.add(re.sub(r"'\d+$", "", match.group(1)))  # callgrind marks recursion levels
    runs.update(names)
order = sorted(runs, key=lambda name: (-runs[name], name))
seen = set(order)
native = [line.strip() for line in open(os.path.join(work, "native.txt"))]
# libc's string functions exist in one variant per instruction set (memmove_avx_unaligned_erms,
# memmove_evex_unaligned_erms, ...) and the portable run saw the ones without AVX-512.
families = {m.group(1) for name in order
            if (m := re.match(r"(__[a-z]+_)(sse2|ssse3|sse4|avx|evex)", name))}
extra = [name for name in native if name not in seen and (
    name.startswith("$s11RecurKernel") or any(name.startswith(f) for f in families))]
for name in order + sorted(set(extra)):
    print(name)
PY
echo "link-order: tools/link-order.txt has $(wc -l < tools/link-order.txt) functions from $(ls "$work"/*.callgrind | wc -l) runs"
