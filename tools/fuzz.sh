#!/usr/bin/env bash
# Fuzzes recur's parsers of hostile input with libFuzzer (swiftc -sanitize=fuzzer,address).
#
#   tools/fuzz.sh TARGET SECONDS [libFuzzer options…]    one target for SECONDS
#   tools/fuzz.sh all SECONDS                            every target, SECONDS each
#   tools/fuzz.sh build TARGET|all                       build only
#   tools/fuzz.sh replay TARGET FILE…                    run inputs once (a crash, say)
#   FUZZ_KEEP_GOING=1 tools/fuzz.sh TARGET SECONDS        restart after each failure until the
#                                                        time is up (a survey of known failures)
#
# Targets (harnesses in tools/fuzz/TARGET.swift, seeds in tools/fuzz/corpus/TARGET/):
#   json     JSON.parse, and the round trip through JSON.serialized()
#   config   model_config text → KerasModelConfig → mapLayer for every layer → planning
#   lambda   LambdaRecognizer.recognize(marshalled:) and (base64:)
#   stream   StreamLoop.run over a memory file (recur stream's line handling and
#            recur_parse_float), and recur_parse_float/recur_parse_double per line
#   arch     ArchitectureSpec(_:) (`recur train --arch`) → planning
#   h5       the whole import path: bytes → file → KerasModel.load(path:)
#   keras    the .keras reader: ZipArchive, Inflater, then KerasModel.load on a .keras file
#
# The modules are compiled straight from Sources/ with swiftc (not SwiftPM: SwiftPM cannot build
# a libFuzzer executable), instrumented for coverage and AddressSanitizer, into .build-fuzz/.
# New inputs that libFuzzer finds go to .build-fuzz/corpus/TARGET (the committed seeds are read,
# never written); crashes, hangs (-timeout=10) and allocations over 2 GB (-rss_limit_mb=2048,
# which also bounds a single malloc) are written to .build-fuzz/artifacts/TARGET/ and stop the
# run with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.build-fuzz
all_targets=(json config lambda stream arch h5 keras)

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
[ $# -ge 2 ] || usage

# -O keeps Swift's bounds and overflow checks (only -Ounchecked drops them); FUZZ_OPT=-Onone
# also keeps assert().
opt=${FUZZ_OPT:--O}
san=(-sanitize=fuzzer,address)
hdf5_cflags=$(pkg-config --cflags hdf5)
hdf5_libs=$(pkg-config --libs hdf5)

# Rebuilds $1 (an output) when it is missing or older than any of the other arguments.
stale() {
    local target=$1; shift
    [ -e "$target" ] || return 0
    local source
    for source in "$@"; do [ "$source" -nt "$target" ] && return 0; done
    return 1
}

# The C targets the Swift modules import, with module maps written as SwiftPM writes them, and
# their objects (a target this checkout does not have is skipped).
c_targets=(CIOSupport CThreads)

build_modules() {
    local m=$out/modules c_target
    mkdir -p "$m"
    for c_target in "${c_targets[@]}"; do
        [ -d "CSupport/$c_target" ] || continue
        mkdir -p "$out/include/$c_target"
        cat > "$out/include/$c_target/module.modulemap" <<EOF
module $c_target {
    header "$root/CSupport/$c_target/include/$c_target.h"
    export *
}
EOF
        if stale "$m/$c_target.o" CSupport/$c_target/*.c CSupport/$c_target/include/*.h; then
            echo "fuzz: compiling $c_target"
            clang -fsanitize=fuzzer-no-link,address -O1 -g -I CSupport/$c_target/include \
                -c CSupport/$c_target/*.c -o "$m/$c_target.o"
        fi
    done
    local kernel_sources=(Sources/RecurKernel/*.swift)
    if stale "$m/RecurKernel.o" "${kernel_sources[@]}" CSupport/CMathShims/include/*.h; then
        echo "fuzz: compiling RecurKernel"
        swiftc "${san[@]}" "$opt" -g -parse-as-library -wmo -module-name RecurKernel \
            -I CSupport/CMathShims/include \
            -emit-module -emit-module-path "$m/RecurKernel.swiftmodule" \
            -c "${kernel_sources[@]}" -o "$m/RecurKernel.o"
    fi
    local keras_sources=()
    while IFS= read -r file; do keras_sources+=("$file"); done < <(find Sources/RecurKeras -name '*.swift' | sort)
    if stale "$m/RecurKeras.o" "${keras_sources[@]}" "$m/RecurKernel.o" CSupport/CHDF5/shim.h; then
        echo "fuzz: compiling RecurKeras"
        # -enable-testing: the harnesses reach internal entry points (mapLayer, HDF5Reader).
        swiftc "${san[@]}" "$opt" -g -parse-as-library -wmo -enable-testing -module-name RecurKeras \
            -I "$m" $(c_includes) -I CSupport/CMathShims/include -I CSupport/CHDF5 -Xcc ${hdf5_cflags} \
            -emit-module -emit-module-path "$m/RecurKeras.swiftmodule" \
            -c "${keras_sources[@]}" -o "$m/RecurKeras.o"
    fi
}

# -I flags for the C targets' module maps, and their objects.
c_includes() { local t; for t in "${c_targets[@]}"; do if [ -d "CSupport/$t" ]; then echo "-I $out/include/$t"; fi; done; }
c_objects() { local t; for t in "${c_targets[@]}"; do if [ -d "CSupport/$t" ]; then echo "$out/modules/$t.o"; fi; done; }

build_target() {
    local target=$1
    local harness=tools/fuzz/$target.swift
    local binary=$out/bin/fuzz-$target
    if [ ! -f "$harness" ]; then
        echo "fuzz: no harness for '$target' yet ($harness)" >&2
        return 1
    fi
    build_modules
    mkdir -p "$out/bin"
    local m=$out/modules
    case $target in
        stream)
            # StreamLoop is internal to RecurCLI (which also needs swift-argument-parser), so it
            # and the files it uses are compiled into the harness's own module.
            local sources=("$harness" Sources/RecurCLI/{StreamLoop,LatencyHistogram,Console}.swift)
            if stale "$binary" "${sources[@]}" "$m/RecurKernel.o" "$m/CIOSupport.o"; then
                echo "fuzz: linking $binary"
                swiftc "${san[@]}" "$opt" -g -use-ld=lld -parse-as-library -module-name StreamFuzz \
                    -I "$m" -I CSupport/CMathShims/include $(c_includes) \
                    "${sources[@]}" "$m/RecurKernel.o" $(c_objects) -o "$binary"
            fi ;;
        *)
            if stale "$binary" "$harness" "$m/RecurKernel.o" "$m/RecurKeras.o"; then
                echo "fuzz: linking $binary"
                swiftc "${san[@]}" "$opt" -g -use-ld=lld -parse-as-library -module-name "Fuzz_$target" \
                    -I "$m" -I CSupport/CMathShims/include -I CSupport/CHDF5 $(c_includes) -Xcc ${hdf5_cflags} \
                    "$harness" "$m/RecurKeras.o" "$m/RecurKernel.o" $(c_objects) ${hdf5_libs} -o "$binary"
            fi ;;
    esac
}

# Options every run gets: a crash, a hang over 10 s, or more than 2 GB of memory is a failure.
libfuzzer_options() {
    local target=$1
    local options=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
    [ -f "tools/fuzz/$target.dict" ] && options+=("-dict=tools/fuzz/$target.dict")
    case $target in
        # Keras model files are kilobytes; give the mutator room for them.
        h5|keras) options+=(-max_len=65536) ;;
        config) options+=(-max_len=16384) ;;
        *) options+=(-max_len=8192) ;;
    esac
    echo "${options[@]}"
}

# AddressSanitizer settings. A malloc too large to satisfy returns NULL, as glibc's does in a
# release build (libhdf5 asks for absurd sizes from damaged headers and handles NULL), rather
# than aborting. For h5, memory errors that ASan's interceptors (memcpy, memmove, …) catch inside
# libhdf5 itself are printed and the run goes on (halt_on_error=0): they are known bugs of
# libhdf5 1.10 (docs/fuzzing.md) that recur cannot check for before calling it. An error in
# recur's own code, which is instrumented, still stops the run, as does any crash or hang.
asan_options() {
    local options=handle_sigill=1:handle_abort=1:allocator_may_return_null=1:detect_leaks=1
    [ "$1" = h5 ] && options+=:halt_on_error=0
    echo "${ASAN_OPTIONS:-$options}"
}

run_target() {
    local target=$1 seconds=$2; shift 2
    if [ "$target" = keras ] && [ ! -f tools/fuzz/keras.swift ]; then
        echo "fuzz: keras: the .keras reader has no harness yet (tools/fuzz/keras.swift); skipped"
        return 0
    fi
    build_target "$target"
    local corpus=$out/corpus/$target artifacts=$out/artifacts/$target log=$out/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$out/logs"
    echo "== fuzz $target for ${seconds}s (log: ${log#$root/})"
    : > "$log"
    local status=0 executed=0 failures=0 deadline=$((SECONDS + seconds)) run
    while :; do
        # The first corpus folder receives new inputs; the committed seeds are only read.
        status=0
        ASAN_OPTIONS=$(asan_options "$target") LSAN_OPTIONS=suppressions=$root/tools/fuzz/lsan.supp \
            "$out/bin/fuzz-$target" $(libfuzzer_options "$target") -max_total_time=$((deadline - SECONDS)) \
            -artifact_prefix="$artifacts/" "$@" "$corpus" "tools/fuzz/corpus/$target" > "$log.run" 2>&1 || status=$?
        cat "$log.run" >> "$log"
        run=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.run" | tail -1)
        executed=$((executed + ${run:-0}))
        [ "$status" -eq 0 ] && break
        failures=$((failures + 1))
        grep -E 'ERROR|SUMMARY|Test unit written' "$log.run" | head -4 | sed 's/^/   /'
        # FUZZ_KEEP_GOING=1: note the failure and fuzz on until the time is up (to survey a
        # target whose failures are known, such as libhdf5's in h5).
        [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && [ $((deadline - SECONDS)) -gt 5 ] || break
    done
    rm -f "$log.run"
    echo "   executions: $executed ($(( executed / (seconds > 0 ? seconds : 1) ))/s over the run)"
    grep -E '^stat::peak_rss_mb' "$log" | sort -t: -k3 -n | tail -1 | sed 's/^/   /' || true
    local inside
    inside=$(grep -c 'ERROR: AddressSanitizer' "$log" || true)
    [ "$inside" -gt 0 ] && echo "   $inside memory errors reported inside libhdf5 and passed over (see ${log#$root/})"
    if [ "$failures" -gt 0 ]; then
        echo "fuzz: $target FAILED $failures time(s); the inputs are in ${artifacts#$root/}/"
        return 1
    fi
    return 0
}

case $1 in
    build)
        if [ "$2" = all ]; then for t in "${all_targets[@]}"; do build_target "$t" || true; done
        else build_target "$2"; fi ;;
    replay)
        target=$2; shift 2
        build_target "$target"
        ASAN_OPTIONS=$(asan_options "$target") LSAN_OPTIONS=suppressions=$root/tools/fuzz/lsan.supp \
            "$out/bin/fuzz-$target" $(libfuzzer_options "$target") "$@" ;;
    all)
        seconds=$2; shift 2
        failed=()
        for t in "${all_targets[@]}"; do run_target "$t" "$seconds" "$@" || failed+=("$t"); done
        if [ ${#failed[@]} -gt 0 ]; then echo "fuzz: failures in: ${failed[*]}"; exit 1; fi ;;
    *)
        case " ${all_targets[*]} " in *" $1 "*) ;; *) usage ;; esac
        run_target "$@" ;;
esac
