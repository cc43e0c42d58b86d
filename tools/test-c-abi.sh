#!/usr/bin/env bash
# Tests the C interface (recur.h, docs/embedding.md) after tools/setup.sh has built librecur:
#
# 1. recur.h compiles as C99 and as C++ with every warning an error, and librecur.so exports
#    exactly the functions it declares;
# 2. examples/c/stream.c, built with the pkg-config line of docs/embedding.md against the shared
#    and the static library, prints what `recur stream` prints, byte for byte (a window, a
#    horizon, a fixed window, two outputs, a stateful model);
# 3. docs/embedding.md's C program compiles and runs; examples/c/persist.c: two runs over the two
#    halves of a series print what one run over the whole prints, and a state file of another
#    model is refused;
# 4. Tests/C/abi_test.c: every call, its refusals, the stream against recur_predict;
# 5. Tests/C/alloc_syscall_test.c: the calls that must not allocate or make a system call don't;
# 6. Tests/C/threads_test.c under ThreadSanitizer, with librecur built with -sanitize=thread
#    (.build-tsan), and its positive control (two threads in one session are reported).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# recur.pc and recur-static.pc: `PKG_CONFIG_PATH=.build/release cc app.c $(pkg-config …)` would
# not reach pkg-config (the shell expands $(…) before it sets the variable for cc).
pc() { PKG_CONFIG_PATH=.build/release pkg-config "$@"; }
header=CSupport/CRecurABI/include/recur.h
warnings=(-Wall -Wextra -Werror)

echo "-- recur.h as C99 and C++; librecur.so's exports"
echo '#include <recur.h>' | cc -std=c99 -pedantic "${warnings[@]}" $(pc --cflags recur) -fsyntax-only -x c -
echo '#include <recur.h>' | c++ -std=c++11 -pedantic "${warnings[@]}" $(pc --cflags recur) -fsyntax-only -x c++ -
declared=$(grep -oE '^[a-z][a-z_ ]*[ *]recur_[a-z_]+\(' "$header" | grep -oE 'recur_[a-z_]+' | sort)
exported=$(nm -D --defined-only .build/release/librecur.so | awk '$2 == "T" { print $3 }' | sort)
[ "$declared" = "$exported" ] || { echo "librecur.so exports:"; echo "$exported"; echo "recur.h declares:"; echo "$declared"; exit 1; }
echo "$(echo "$declared" | wc -l) functions declared and exported"

echo "-- examples/c/stream.c against recur stream, byte for byte"
cc examples/c/stream.c $(pc --cflags --libs recur) -o "$work/stream"
cc examples/c/stream.c $(pc --cflags --libs recur-static) -o "$work/stream-static"
! ldd "$work/stream-static" | grep -q librecur || { echo "stream-static needs librecur.so"; exit 1; }
sed 1d models/course_series.csv | cut -d, -f2 > "$work/series.txt"
head -300 "$work/series.txt" > "$work/samples.txt"
compare() {  # program, model, window (0: the model's own), horizon
    local options=()
    [ "$3" = 0 ] || options+=(--window "$3")
    [ "$4" = 1 ] || options+=(--horizon "$4")
    .build/release/recur stream "$2" "${options[@]}" < "$work/samples.txt" > "$work/want.txt"
    "$1" "$2" "$3" "$4" < "$work/samples.txt" > "$work/got.txt"
    cmp -s "$work/want.txt" "$work/got.txt" || { echo "$1 $2 $3 $4 differs from recur stream"; diff "$work/want.txt" "$work/got.txt" | head -5; exit 1; }
    echo "$(basename "$1") $2 window $3 horizon $4: $(wc -l < "$work/got.txt") lines, identical"
}
compare "$work/stream" models/e1_simplernn.h5 20 1
compare "$work/stream" models/e3_bilstm2.h5 20 3
compare "$work/stream" Tests/Fixtures/external/m8_lstm_nolambda.h5 16 1
compare "$work/stream" Tests/Fixtures/stream/fixed_window.h5 0 1
compare "$work/stream" Tests/Fixtures/stream/two_outputs.h5 4 1
compare "$work/stream" Tests/Fixtures/stateful/keras3/stateful_gru_stack.h5 0 2
compare "$work/stream-static" models/e1_simplernn.h5 20 2

echo "-- docs/embedding.md's C program"
sed -n '/^```c$/,/^```$/p' docs/embedding.md | sed '1d;$d' > "$work/docs.c"
cc -std=c11 "${warnings[@]}" "$work/docs.c" $(pc --cflags --libs recur) -o "$work/docs"
"$work/docs" > "$work/docs.txt"
[ "$(grep -c '^window ' "$work/docs.txt")" = 4 ] && [ "$(grep -c '^after sample ' "$work/docs.txt")" = 6 ] \
    || { echo "docs/embedding.md's C program printed:"; cat "$work/docs.txt"; exit 1; }
echo "it compiles with the pkg-config line and prints 4 forecasts and 6 from the stream"

echo "-- examples/c/persist.c: a stream stopped, its state saved, continued in a new process"
cc examples/c/persist.c $(pc --cflags --libs recur) -o "$work/persist"
for case in "models/e1_simplernn.h5 20" "Tests/Fixtures/stateful/keras2/stateful_lstm.h5 0"; do
    set -- $case
    rm -f "$work/state"
    "$work/persist" "$1" "$work/state" "$2" < "$work/samples.txt" > "$work/whole.txt"
    rm -f "$work/state"
    head -137 "$work/samples.txt" | "$work/persist" "$1" "$work/state" "$2" > "$work/halves.txt"
    tail -n +138 "$work/samples.txt" | "$work/persist" "$1" "$work/state" "$2" >> "$work/halves.txt"
    cmp -s "$work/whole.txt" "$work/halves.txt" || { echo "persist $1: the halves differ from the whole"; exit 1; }
    echo "persist $1: two processes print the one stream's $(wc -l < "$work/whole.txt") lines"
done
status=0
"$work/persist" models/e3_bilstm2.h5 "$work/state" 20 < /dev/null 2> "$work/refusal.txt" || status=$?
[ "$status" = 65 ] && grep -q "of another model" "$work/refusal.txt" \
    || { echo "persist: another model's state gave status $status: $(cat "$work/refusal.txt")"; exit 1; }

echo "-- Tests/C: the calls, their allocations and system calls"
for test in abi_test alloc_syscall_test; do
    cc -std=gnu11 "${warnings[@]}" Tests/C/$test.c $(pc --cflags --libs recur) -lpthread -o "$work/$test"
    "$work/$test"
done

echo "-- Tests/C/threads_test.c under ThreadSanitizer"
toolchain=$(dirname "$(dirname "$(command -v swift)")")
runtime=$toolchain/lib/swift/linux
if ! swift build -c release --sanitize=thread --scratch-path .build-tsan --product RecurC > .build/tsan-build.log 2>&1; then
    grep -E 'error' .build/tsan-build.log | head -20
    echo "swift build --sanitize=thread failed (full log: .build/tsan-build.log)"
    exit 1
fi
# The toolchain's clang, whose ThreadSanitizer runtime is the one the Swift code was built for.
"$toolchain/bin/clang" -fsanitize=thread -g "${warnings[@]}" -I CSupport/CRecurABI/include Tests/C/threads_test.c \
    -L.build-tsan/release -Wl,-rpath,"$PWD/.build-tsan/release" -lRecurC \
    -L"$runtime" -Wl,-rpath,"$runtime" -ldispatch -lBlocksRuntime -lpthread -o "$work/threads_test"
"$work/threads_test"
if "$work/threads_test" shared > "$work/race.txt" 2>&1 || ! grep -q "ThreadSanitizer: data race" "$work/race.txt"; then
    echo "threads_test shared: ThreadSanitizer did not report two threads in one session"
    exit 1
fi
echo "threads_test shared: ThreadSanitizer reports two threads in one session (the positive control)"
