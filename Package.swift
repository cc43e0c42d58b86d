// swift-tools-version: 6.1
import Foundation
import PackageDescription

// recur is built on the box it runs on, so by default the kernel is compiled for that CPU's
// vector units (AVX2/AVX-512 here: twice the speed of the portable x86-64 baseline). Set
// RECUR_PORTABLE=1 to build a binary that runs on any CPU of the architecture.
// Where that CPU can fuse a multiply and an add (FMA), the matrix products use it.
let portable = Context.environment["RECUR_PORTABLE"] != nil
// With AVX-512 the vectors are 16 lanes wide.
let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
let kernelSettings: [SwiftSetting] = portable
    ? []
    : [.unsafeFlags(["-target-cpu", "native"])]
        + (cpuFlags.contains(" fma ") ? [.define("RECUR_FMA")] : [])
        + (cpuFlags.contains(" avx512f ") ? [.define("RECUR_AVX512")] : [])

let package = Package(
    name: "recur",
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .library(name: "RecurKernel", targets: ["RecurKernel"]),
        .library(name: "RecurKeras", targets: ["RecurKeras"]),
        // The C interface (recur.h): tools/setup.sh links these as .build/release/librecur.so and
        // librecur.a, with recur.pc beside them.
        .library(name: "RecurC", type: .dynamic, targets: ["RecurABI"]),
        .library(name: "RecurCStatic", type: .static, targets: ["RecurABI"]),
        // Preloaded by `recur bench` to count heap allocations; never linked into recur.
        .library(name: "RecurMallocCounter", type: .dynamic, targets: ["CAllocCounter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C: libhdf5 (system), libm shims for the kernel, number I/O for the commands, and a
        // malloc counter that only the tests link.
        .systemLibrary(
            name: "CHDF5",
            path: "CSupport/CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .target(name: "CMathShims", path: "CSupport/CMathShims"),
        .target(name: "CMallocReport", path: "CSupport/CMallocReport"),
        .target(name: "CIOSupport", dependencies: ["CMallocReport"], path: "CSupport/CIOSupport"),
        .target(name: "CThreads", path: "CSupport/CThreads"),
        .target(name: "CAllocCounter", dependencies: ["CMallocReport"], path: "CSupport/CAllocCounter"),
        // recur.h, and the thread-local error sentence behind it.
        .target(name: "CRecurABI", path: "CSupport/CRecurABI"),

        // The engine: pure Swift, no Foundation, Embedded-clean (tools/check-embedded.sh).
        .target(name: "RecurKernel", dependencies: ["CMathShims"], swiftSettings: kernelSettings),
        // The only module that touches HDF5, JSON and Keras's conventions.
        .target(name: "RecurKeras", dependencies: ["RecurKernel", "CHDF5", "CThreads", "CIOSupport"]),
        // One file per subcommand; a library so that tests can drive the commands.
        .target(
            name: "RecurCLI",
            dependencies: [
                "RecurKernel", "RecurKeras", "CIOSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "recur", dependencies: ["RecurCLI"]),
        // recur.h's functions (@_cdecl) over RecurKeras and RecurKernel.
        .target(name: "RecurABI", dependencies: ["RecurKernel", "RecurKeras", "CRecurABI"]),

        .target(
            name: "RecurTestSupport",
            dependencies: ["RecurKernel", "RecurKeras", "CAllocCounter"],
            path: "Tests/RecurTestSupport"
        ),
        .testTarget(name: "RecurKernelTests", dependencies: ["RecurKernel", "RecurTestSupport"]),
        .testTarget(name: "RecurKerasTests", dependencies: ["RecurKeras", "RecurKernel", "RecurTestSupport"]),
        .testTarget(
            name: "RecurCLITests",
            dependencies: ["RecurCLI", "RecurKeras", "RecurKernel", "RecurTestSupport"]
        ),
    ]
)
