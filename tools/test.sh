#!/usr/bin/env bash
# Runs every test: the Embedded-Swift allocation proof of the kernel, the Swift test suites
# (Keras parity on every fixture, import errors, commands end to end), and, when the shared
# Keras fixtures are beside this checkout, the external parity check on the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."

./tools/setup.sh

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

shared=../shared
if [ -x "$shared/tools/check-keras-parity" ]; then
    echo "== check-keras-parity (shared fixtures, release binary)"
    py=python3
    python3 -c "import h5py" 2>/dev/null || py=.venv-keras/bin/python
    if "$py" -c "import h5py" 2>/dev/null; then
        "$py" "$shared/tools/check-keras-parity" .build/release/recur --only 'm[1358]_*.h5'
    fi
fi
echo "all tests passed"
