// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Distillery",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .executable(name: "distill-bench", targets: ["distill-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(
            name: "Tensors",
            dependencies: ["CBLAS"]
        ),
        .executableTarget(
            name: "distill-bench",
            dependencies: [
                "Tensors",
                "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TensorsTests",
            dependencies: ["Tensors"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
