#!/usr/bin/env bash
# Installs what recur needs on a fresh Debian machine that has the Swift toolchain, and builds
# the release binary at .build/release/recur. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! pkg-config --exists hdf5 2>/dev/null; then
    echo "setup: installing libhdf5-dev (the HDF5 library recur reads Keras files with)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libhdf5-dev pkg-config >/dev/null
fi

build() {
    mkdir -p .build
    if ! swift build -c release "$@" > .build/setup.log 2>&1; then
        grep -E 'error|warning: .*unable' .build/setup.log | head -40
        echo "setup: swift build -c release $* failed (full log: .build/setup.log)"
        exit 1
    fi
}
build --product recur
# The allocation counter that `recur bench` preloads.
build --product RecurMallocCounter
