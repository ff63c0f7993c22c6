// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Distillery",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Optim", targets: ["Optim"]),
        .library(name: "Training", targets: ["Training"]),
        .library(name: "Distillation", targets: ["Distillation"]),
        .library(name: "Robustness", targets: ["Robustness"]),
        .library(name: "Configuration", targets: ["Configuration"]),
        .library(name: "Generative", targets: ["Generative"]),
        .library(name: "Language", targets: ["Language"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .executable(name: "distill", targets: ["distill"]),
        .executable(name: "distill-bench", targets: ["distill-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "CProcessorID"),
        // The config-reading protocol and its errors, without the YAML library: the targets
        // that build things from a config entry read through it.
        .target(name: "Configuration", dependencies: ["Tensors"]),
        .target(
            name: "Tensors",
            dependencies: ["CBLAS", "CProcessorID"]
        ),
        .target(
            name: "Datasets",
            dependencies: ["Tensors", "CZlib", "Configuration"],
            // The digits are compiled in (Catalog/EmbeddedDigits.swift), so that a copied binary
            // needs no resource bundle; the source file and its generator stay beside them.
            exclude: ["Resources"]
        ),
        .target(
            name: "NN",
            dependencies: ["Tensors", "Configuration"]
        ),
        .target(
            name: "Optim",
            dependencies: ["Tensors", "NN"]
        ),
        .target(
            name: "Training",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Configuration"]
        ),
        .target(
            name: "Distillation",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Training", "Configuration"]
        ),
        // Robustness trains through Training; it imports Distillation only for the robust
        // distillation objectives (ARD, RSLAD, MTARD), which use its teachers and losses.
        .target(
            name: "Robustness",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Training", "Distillation", "Configuration"]
        ),
        // Generative step distillation: noise processes, denoisers, samplers and sample metrics.
        .target(
            name: "Generative",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Training", "Configuration"]
        ),
        // Graph learning and its distillation: GNN training on node splits, GNN → MLP students.
        .target(
            name: "Graphs",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Training", "Distillation", "Configuration"]
        ),
        .target(
            name: "Language",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Training", "Distillation", "Configuration"]
        ),
        .target(
            name: "Experiments",
            dependencies: ["Tensors", "NN", "Optim", "Datasets", "Training", "Distillation", "Robustness", "Generative", "Graphs", "Language", "Configuration", "Yams"]
        ),
        .executableTarget(
            name: "distill",
            dependencies: [
                "Tensors",
                "Datasets",
                "Training",
                "Distillation",
                "Robustness",
                "Generative",
                "Graphs",
                "Language",
                "Experiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "distill-bench",
            dependencies: [
                "Tensors",
                "NN",
                "Datasets",
                "Generative",
                "Language",
                "Optim",
                "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "TensorsTests",
            dependencies: ["Tensors"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "NNTests",
            dependencies: ["NN", "Tensors", "Datasets"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "OptimTests",
            dependencies: ["Optim", "NN", "Tensors", "Datasets"]
        ),
        .testTarget(
            name: "TrainingTests",
            dependencies: ["Training", "Optim", "NN", "Tensors", "Datasets"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "DistillationTests",
            dependencies: ["Distillation", "NN", "Optim", "Datasets", "Tensors"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RobustnessTests",
            dependencies: ["Robustness", "Distillation", "NN", "Optim", "Datasets", "Tensors"]
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["Experiments", "Training", "Distillation", "Robustness", "Graphs", "NN", "Optim", "Datasets", "Tensors", "distill"]
        ),
        .testTarget(
            name: "GenerativeTests",
            dependencies: ["Generative", "Tensors", "NN", "Optim", "Datasets", "Training"]
        ),
        .testTarget(
            name: "GraphsTests",
            dependencies: ["Graphs", "Distillation", "Training", "NN", "Optim", "Datasets", "Tensors"]
        ),
        .testTarget(
            name: "LanguageTests",
            dependencies: ["Language", "Distillation", "Training", "NN", "Optim", "Datasets", "Tensors"]
        ),
        .testTarget(
            name: "DatasetsTests",
            dependencies: ["Datasets", "Tensors"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
