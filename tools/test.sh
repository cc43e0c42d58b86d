#!/usr/bin/env bash
# Runs every test: the Embedded-Swift allocation proof of the kernel, the Swift test suites
# (Keras parity on every fixture, import errors, commands end to end), the hostile-input harness
# (tools/hostile/run.sh), and the external parity check of the shared Keras fixtures on the
# release binary, which must run (shared/ beside this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

./tools/setup.sh

# --- plots: the plot tests render SVG with librsvg's rsvg-convert (Debian: librsvg2-bin) ---
if ! command -v rsvg-convert >/dev/null; then
    echo "setup: installing librsvg2-bin (rsvg-convert renders the plots in the plot tests)"
    as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librsvg2-bin >/dev/null
fi
# --- end plots ---

echo "== the release binary: no heap allocation per forecast, counted by its own counter"
# tools/setup.sh links a static recur with the counter built in (CSupport/CIOSupport/alloc_wrap.c);
# recur bench reports null instead of a count unless the counter first saw a known allocation.
for model in models/e1_simplernn.h5 models/e3_bilstm2.h5; do
    mallocs=$(.build/release/recur bench "$model" --iterations 200 --batch 4 --json \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["mallocs_per_window"])')
    echo "$model: $mallocs mallocs per window"
    [ "$mallocs" = 0 ] || { echo "recur bench $model: expected 0 mallocs per window, counted $mallocs"; exit 1; }
done
# Whole process (RECUR_MALLOC_REPORT=1): a stream of 100,000 samples costs the mallocs of 1,000,
# up to a few; predict, which makes a string per line, must show its per-line allocations.
process_mallocs() {
    python3 -c "import math, sys; sys.stdout.write(''.join('%.4f\n' % (50 + 30 * math.sin(i * 0.3)) for i in range($1)))" \
        | RECUR_MALLOC_REPORT=1 .build/release/recur "${@:2}" 2>&1 >/dev/null | sed -n 's/^mallocs: //p'
}
few=$(process_mallocs 1000 stream models/e1_simplernn.h5 --window 20)
many=$(process_mallocs 100000 stream models/e1_simplernn.h5 --window 20)
echo "recur stream: $few mallocs for 1,000 samples, $many for 100,000"
[ -n "$few" ] && [ -n "$many" ] && [ $((many - few)) -le 64 ] && [ $((few - many)) -le 64 ] \
    || { echo "recur stream: the process's mallocs grow with the samples (or were not counted)"; exit 1; }
control=$(process_mallocs 10000 predict models/e1_simplernn.h5 --input -)
[ -n "$control" ] && [ "$control" -ge 10000 ] \
    || { echo "recur predict: $control mallocs for 10,000 lines; the counter does not see them"; exit 1; }

echo "== the C interface: recur.h, librecur, the examples (tools/test-c-abi.sh)"
./tools/test-c-abi.sh

echo "== recur's Swift libraries as a dependency of another package (examples/swiftpm)"
if ! swift build --package-path examples/swiftpm > .build/swiftpm-example.log 2>&1; then
    grep -E 'error' .build/swiftpm-example.log | head -20
    echo "swift build --package-path examples/swiftpm failed (full log: .build/swiftpm-example.log)"
    exit 1
fi
# (awk reads the whole file: a head that closes the pipe early can fail the step under pipefail)
awk -F, 'NR > 1 && NR <= 201 { print $2 }' models/course_series.csv > .build/swiftpm-example.in
examples/swiftpm/.build/debug/forecast models/e3_bilstm2.h5 20 < .build/swiftpm-example.in > .build/swiftpm-example.out
.build/release/recur stream models/e3_bilstm2.h5 --window 20 < .build/swiftpm-example.in \
    | cmp -s - .build/swiftpm-example.out || { echo "examples/swiftpm: its forecasts are not recur stream's"; exit 1; }
echo "examples/swiftpm forecasts $(wc -l < .build/swiftpm-example.out) windows as recur stream does, byte for byte"

echo "== the hostile-input harness on the release binary (tools/hostile/run.sh, docs/fuzzing.md)"
./tools/hostile/run.sh

echo "== kernel as Embedded Swift with -no-allocations"
./tools/check-embedded.sh

echo "== swift test"
if ! swift build --build-tests > .build/build.log 2>&1; then
    grep -E 'error' .build/build.log | head -40
    echo "swift build --build-tests failed (full log: .build/build.log)"
    exit 1
fi
if ! swift test --skip-build > .build/test.log 2>&1; then
    grep -E '✘|error:|fatal|Fatal' .build/test.log | head -80
    echo "swift test failed (full log: .build/test.log)"
    exit 1
fi
grep -E 'Test run with|Executed .* tests' .build/test.log
# The allocation tests once more, alone: in the whole suite other tests may already have done
# a piece of lazy first-call work (runtime metadata of an unoptimised build, say) that a counted
# loop would otherwise show.
if ! swift test --skip-build --filter 'AllocationTests|epochsDoNotAllocate|loadedModelForwardDoesNotAllocate' > .build/test-alloc.log 2>&1; then
    grep -E '✘|error:|fatal|Fatal' .build/test-alloc.log | head -20
    echo "allocation tests run alone failed (full log: .build/test-alloc.log)"
    exit 1
fi
grep -E 'Test run with' .build/test-alloc.log

# --- sanitizers (issue 7): the kernel and import tests under AddressSanitizer ---
# A build of its own (.build-asan). LeakSanitizer is on too, with suppressions only for leaks
# inside the toolchain's Foundation and XCTest (tools/lsan-tests.supp). The allocation tests
# still count, through ASan's malloc hook (CSupport/CAllocCounter). The whole suite under ASan,
# ThreadSanitizer and UBSan, and the fuzzers, are run by hand: docs/fuzzing.md.
echo "== swift test --sanitize=address (RecurKernelTests, RecurKerasTests)"
asan_started=$SECONDS
if ! swift build --build-tests --sanitize=address --scratch-path .build-asan > .build/asan-build.log 2>&1; then
    grep -E 'error' .build/asan-build.log | head -40
    echo "swift build --sanitize=address failed (full log: .build/asan-build.log)"
    exit 1
fi
if ! LSAN_OPTIONS="suppressions=$PWD/tools/lsan-tests.supp" swift test --skip-build --sanitize=address \
    --scratch-path .build-asan --filter 'RecurKernelTests|RecurKerasTests' > .build/asan-test.log 2>&1; then
    grep -E '✘|ERROR: (Address|Leak)Sanitizer|SUMMARY|fatal|Fatal' .build/asan-test.log | head -80
    echo "swift test --sanitize=address failed (full log: .build/asan-test.log)"
    exit 1
fi
grep -E 'Test run with' .build/asan-test.log
echo "(AddressSanitizer build and tests: $((SECONDS - asan_started)) s)"
# --- end sanitizers ---

# The Keras venv the fixtures were made with (h5py for the parity check, TensorFlow for the
# round trip); created here when a package is missing, before anything needs it.
venv=.venv-keras
if ! "$venv/bin/python" - 2>/dev/null <<'PY'
from importlib.metadata import version
assert version("tensorflow-cpu") == "2.21.0" and version("tf-keras") == "2.21.0"
version("keras"), version("h5py")
PY
then
    echo "setup: installing TensorFlow 2.21 (CPU), Keras 3, tf_keras and h5py into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py
fi

# The other team's check of recur predict against their Keras fixtures: it must run, so a
# missing checkout of shared/ beside this one is a failure, not a skip.
shared=../shared
echo "== check-keras-parity (shared fixtures, release binary)"
if [ ! -x "$shared/tools/check-keras-parity" ]; then
    echo "check-keras-parity: $shared/tools/check-keras-parity is missing; the external parity check cannot run"
    exit 1
fi
"$venv/bin/python" "$shared/tools/check-keras-parity" .build/release/recur --only 'm[1358]_*'

echo "== recur export to .h5, .keras and .weights.h5, loaded back by real Keras 3 and tf_keras (tools/keras_roundtrip.py)"
# The other team's fixtures, the course models, and of the Keras 3 / Keras 2 fixtures one per
# layer option (every option the exporter writes; the script adds models of the layers no
# fixture has). One Python process for all: importing TensorFlow takes seconds.
roundtrip=(Tests/Fixtures/external/{m1_simplernn,m3_bilstm2,m5_gru,m8_lstm_nolambda}.h5)
# Models read from the other formats: Keras 3's and tf_keras's .keras archives.
for model in Tests/Fixtures/external/m3_bilstm2.keras Tests/Fixtures/formats/{k3_named,k3_mixed,k3_functional,k2_mixed}.keras; do
    if [ -f "$model" ]; then roundtrip+=("$model"); fi
done
# Older TensorFlows: fixed-length strings, Python 3.8 Lambdas, Keras 2's hard_sigmoid.
for model in models/e[0-9]_*.h5 Tests/Fixtures/keras-legacy/tf2.4/{course_bilstm,lstm_recact_hard_sigmoid}.h5; do
    if [ -f "$model" ]; then roundtrip+=("$model"); fi
done
# Every layer-option fixture: the Keras 3 file, or the Keras 2 one where Keras 3 has none (the
# export is checked in both Kerases either way). A fixture is complete once its reference
# (.io.h5, written after the model) is there.
for io in Tests/Fixtures/keras3/*.io.h5 Tests/Fixtures/keras2/*.io.h5; do
    name=$(basename "$io" .io.h5)
    if [ "$(basename "$(dirname "$io")")" = keras2 ] && [ -f "Tests/Fixtures/keras3/$name.io.h5" ]; then continue; fi
    roundtrip+=("${io%.io.h5}.h5")
done
mkdir -p .build/conformance
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" tools/keras_roundtrip.py --recur .build/release/recur --work "$work" --coverage \
    --report .build/conformance/keras.json "${roundtrip[@]}" 2>&1 \
    | grep -v -E '^(WARNING: All log messages|I0000|W0000|E0000)'

echo "== the Python module (python/): pytest against Keras's predictions and recur's own"
"$venv/bin/pip" install --quiet pytest==9.2.0 ./python
if ! (cd python && "../$venv/bin/python" -m pytest -q -p no:cacheprovider tests) > .build/pytest.log 2>&1; then
    grep -E '^(FAILED|ERROR|E )' .build/pytest.log | head -40
    echo "pytest failed (full log: .build/pytest.log)"
    exit 1
fi
tail -1 .build/pytest.log

echo "== the conformance matrix (docs/keras-conformance.md) against this run"
python3 tools/conformance.py --check

echo "all tests passed"
