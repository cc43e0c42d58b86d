#!/usr/bin/env bash
# Compiles the kernel as Embedded Swift for a bare-metal target with -no-allocations: the
# compiler then proves that no code in RecurKernel can allocate on the heap.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swiftc -target x86_64-unknown-none-elf -enable-experimental-feature Embedded -wmo \
    -parse-as-library -Osize -no-allocations -Xfrontend -disable-stack-protector \
    -I CSupport/CMathShims/include \
    -module-name RecurKernel -c Sources/RecurKernel/*.swift -o "$out/RecurKernel.o"
echo "RecurKernel builds as Embedded Swift with -no-allocations."
