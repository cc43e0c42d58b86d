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

# The release binary links HDF5 and the Swift runtime statically when the system has the
# archives: it then maps nine libraries instead of forty (Debian's shared HDF5 pulls in curl, TLS
# and Kerberos) and its peak memory drops by about a third (docs/performance.md). SwiftPM takes
# HDF5's link flags from pkg-config, so a generated hdf5.pc that names the archive does it.
static_hdf5() {
    local libdir
    libdir=$(pkg-config --libs-only-L hdf5 | sed 's/^ *-L//; s/ *$//')
    [ -n "$libdir" ] && [ -f "$libdir/libhdf5.a" ] || return 1
    for lib in sz z; do
        [ -e "$(gcc -print-file-name=lib$lib.so)" ] || [ -e "$(gcc -print-file-name=lib$lib.a)" ] || return 1
    done
    mkdir -p .build/pkgconfig
    cat > .build/pkgconfig/hdf5.pc <<PC
Name: hdf5
Description: HDF5, linked statically into recur (written by tools/setup.sh)
Version: $(pkg-config --modversion hdf5)
Cflags: $(pkg-config --cflags hdf5)
Libs: -L$libdir -l:libhdf5.a -lsz -lz -ldl -lm
PC
}
static=()
if static_hdf5; then
    export PKG_CONFIG_PATH="$PWD/.build/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi
if [ -d "$(dirname "$(dirname "$(command -v swift)")")/lib/swift_static" ]; then
    static=(--static-swift-stdlib)
fi

build() {
    mkdir -p .build
    if ! swift build -c release "$@" > .build/setup.log 2>&1; then
        grep -E 'error|warning: .*unable' .build/setup.log | head -40
        echo "setup: swift build -c release $* failed (full log: .build/setup.log)"
        exit 1
    fi
}
build --product recur "${static[@]}"
# The allocation counter that `recur bench` preloads.
build --product RecurMallocCounter
