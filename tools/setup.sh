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

# How the release binary is linked, best first:
#
# 1. One static executable, when the system has the archives (HDF5's, its compressors', glibc's)
#    and the Swift toolchain has its static libraries and lld. Nothing is mapped or relocated at
#    start, and the code a forecast runs sits together: the functions that tools/link-order.sh
#    saw run come first in tools/link-order.txt, every module is compiled with one section per
#    function, and lld lays the sections out in that order. The kernel maps a binary's code in
#    64 KB blocks around each page it touches, so packing what runs keeps the peak resident
#    memory low (docs/performance.md). A static executable cannot be given the malloc counter
#    with LD_PRELOAD, so it is linked with `--wrap` around the allocation functions instead
#    (CSupport/CIOSupport/alloc_wrap.c), and `recur bench` counts with that.
# 2. Else HDF5 and the Swift runtime statically, the C library shared: nine libraries mapped
#    instead of forty (Debian's shared HDF5 pulls in curl, TLS and Kerberos).
# 3. Else everything shared.
#
# SwiftPM takes HDF5's link flags from pkg-config, so a generated hdf5.pc that names the archives
# does it. RECUR_LINK=shared forces 3, RECUR_LINK_ORDER=FILE takes another order (or none:
# RECUR_LINK_ORDER=), and RECUR_SCRATCH builds elsewhere than .build (tools/link-order.sh uses
# both).
archive() { local path; path=$(gcc -print-file-name="lib$1.a"); [ "$path" != "lib$1.a" ] && [ -f "$path" ]; }
static_hdf5() {
    local libdir libs=$1
    libdir=$(pkg-config --libs-only-L hdf5 | sed 's/^ *-L//; s/ *$//')
    [ -n "$libdir" ] && [ -f "$libdir/libhdf5.a" ] || return 1
    mkdir -p .build/pkgconfig
    cat > .build/pkgconfig/hdf5.pc <<PC
Name: hdf5
Description: HDF5, linked statically into recur (written by tools/setup.sh)
Version: $(pkg-config --modversion hdf5)
Cflags: $(pkg-config --cflags hdf5)
Libs: -L$libdir -l:libhdf5.a $libs
PC
}
toolchain=$(dirname "$(dirname "$(command -v swift)")")
scratch=${RECUR_SCRATCH:-.build}
order=${RECUR_LINK_ORDER-$PWD/tools/link-order.txt}
flags=()
link=shared
if [ "${RECUR_LINK:-}" != shared ] && [ -f "$toolchain/lib/swift_static/linux/static-executable-args.lnk" ] \
    && [ -x "$toolchain/bin/ld.lld" ] && archive c && archive sz && archive aec && archive z \
    && static_hdf5 "-l:libsz.a -l:libaec.a -l:libz.a -ldl -lm"; then
    link=static-executable
    flags=(-Xswiftc -static-executable -Xswiftc -use-ld=lld
        -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections
        -Xcc -DRECUR_WRAPPED_MALLOC)
    for function in malloc calloc realloc posix_memalign aligned_alloc memalign; do
        flags+=(-Xlinker "--wrap=$function")
    done
    if [ -n "$order" ] && [ -f "$order" ]; then
        flags+=(-Xlinker "--symbol-ordering-file=$order" -Xlinker --no-warn-symbol-ordering)
    fi
elif [ "${RECUR_LINK:-}" != shared ] && [ -d "$toolchain/lib/swift_static" ] \
    && { archive sz || [ -e "$(gcc -print-file-name=libsz.so)" ]; } \
    && { archive z || [ -e "$(gcc -print-file-name=libz.so)" ]; } && static_hdf5 "-lsz -lz -ldl -lm"; then
    link=static-swift-stdlib
    flags=(--static-swift-stdlib)
fi
system_pkg_config_path=${PKG_CONFIG_PATH:-}
if [ "$link" != shared ]; then
    export PKG_CONFIG_PATH="$PWD/.build/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
fi

build() {
    mkdir -p .build
    if ! swift build -c release --scratch-path "${build_scratch:-$scratch}" "$@" > .build/setup.log 2>&1; then
        grep -E 'error|warning: .*unable' .build/setup.log | head -40
        echo "setup: swift build -c release $* failed (full log: .build/setup.log)"
        exit 1
    fi
}
build --product recur "${flags[@]}"
# The allocation counter that `recur bench` preloads.
build --product RecurMallocCounter

# The C interface (recur.h; docs/embedding.md): .build/release/librecur.so and librecur.a, and
# recur.pc and recur-static.pc describing them for pkg-config. The shared library carries the
# Swift runtime inside (-static-stdlib; 15 MB), so a C program or Python needs nothing at run time
# but the system's libhdf5 (Debian's libhdf5.a is not position-independent, so it cannot go
# inside): with the toolchain's shared runtime it would need the toolchain, at the path it had
# here, on every machine it runs on. Only recur.h's functions are exported (exports.map). Built in
# a scratch folder of its own, because its flags differ from the executable's.
build_scratch=.build-lib
lib_flags=(-Xlinker "--version-script=$PWD/CSupport/CRecurABI/exports.map" -Xlinker -soname=librecur.so)
runtime=$toolchain/lib/swift_static/linux
if [ -d "$runtime" ]; then lib_flags+=(-Xswiftc -static-stdlib); else runtime=$toolchain/lib/swift/linux; fi
PKG_CONFIG_PATH=$system_pkg_config_path build --product RecurC "${lib_flags[@]}"
PKG_CONFIG_PATH=$system_pkg_config_path build --product RecurCStatic "${lib_flags[@]}"
cp .build-lib/release/libRecurC.so .build/release/librecur.so
cp .build-lib/release/libRecurCStatic.a .build/release/librecur.a
version=$(sed -n 's/^#define RECUR_VERSION "\(.*\)"$/\1/p' CSupport/CRecurABI/include/recur.h)
hdf5_libs=$(PKG_CONFIG_PATH=$system_pkg_config_path pkg-config --libs hdf5)
cat > .build/release/recur.pc <<PC
libdir=$PWD/.build/release
includedir=$PWD/CSupport/CRecurABI/include

Name: recur
Description: recur's C interface: Keras recurrent models in memory the caller owns (written by tools/setup.sh)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lrecur
PC
# The archive holds recur's objects only: the program links the Swift runtime and its start-up
# object (swiftrt.o) itself.
cat > .build/release/recur-static.pc <<PC
libdir=$PWD/.build/release
includedir=$PWD/CSupport/CRecurABI/include
runtime=$runtime

Name: recur-static
Description: recur's C interface, linked into the program (written by tools/setup.sh)
Version: $version
Cflags: -I\${includedir}
Libs: \${libdir}/librecur.a \${runtime}/$(uname -m)/swiftrt.o -L\${runtime} -Wl,-rpath,\${runtime} -lswiftCore -lswiftSynchronization -lswiftGlibc -lswift_StringProcessing -lswift_RegexParser $hdf5_libs -lstdc++ -lm -ldl -lpthread
PC
# The Python package (python/, pip install ./python) carries a copy of the shared library.
cp .build/release/librecur.so python/recur/librecur.so
