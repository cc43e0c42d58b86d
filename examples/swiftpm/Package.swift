// swift-tools-version: 6.1
// A package that uses recur's Swift libraries as a dependency (by path: this checkout), as an
// application that embeds recur in Swift would. tools/test.sh builds it and checks its numbers
// against `recur predict` and `recur stream`.
import PackageDescription

let package = Package(
    name: "recur-consumer",
    dependencies: [.package(name: "recur", path: "../..")],
    targets: [
        .executableTarget(
            name: "forecast",
            dependencies: [
                .product(name: "RecurKeras", package: "recur"),
                .product(name: "RecurKernel", package: "recur"),
            ]
        ),
    ]
)
