import Configuration
import Foundation
import Tensors

/// The data sets Distillery knows by name: where each is looked for, whether it is
/// present, the one command that installs it, and how to load it.
///
/// A data set `name` is looked for in `<data directory>/<name>`, where the data directory is
/// the one given explicitly (`--data-dir`), else `$DISTILLERY_DATA_DIR`, else the data
/// set's system location (where a Debian package installs it). Nothing is downloaded.
public struct KnownDataset: Sendable {
    /// The name used in configs and on the command line.
    public let name: String
    /// One line on what it is.
    public let summary: String
    /// The files it needs, relative to its folder (none for embedded data).
    public let files: [String]
    /// Where a package installs it, if one does.
    public let systemLocation: String?
    /// The one command that installs it, or what to do where no package ships it.
    public let installation: String
    /// The class names.
    public let classNames: [String]
    /// Reads a split from the data set's folder (present: every file is there).
    public let loader: @Sendable (_ split: DataSplit, _ folder: URL, _ dataset: KnownDataset) throws -> TensorDataset

    public init(name: String, summary: String, files: [String], systemLocation: String?, installation: String, classNames: [String],
                loader: @escaping @Sendable (_ split: DataSplit, _ folder: URL, _ dataset: KnownDataset) throws -> TensorDataset) {
        (self.name, self.summary, self.files, self.systemLocation) = (name, summary, files, systemLocation)
        (self.installation, self.classNames, self.loader) = (installation, classNames, loader)
    }

    /// True for data that ships inside Distillery.
    public var isEmbedded: Bool { files.isEmpty }

    /// The folder the data set is looked for in.
    public func location(dataDirectory: String? = nil) -> String {
        if isEmbedded { return "(embedded in Distillery)" }
        if let root = dataDirectory ?? ProcessInfo.processInfo.environment[DatasetCatalog.environmentVariable] {
            return (root as NSString).appendingPathComponent(name)
        }
        return systemLocation ?? (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent("data/\(name)")
    }

    /// Whether every file is there.
    public func isPresent(dataDirectory: String? = nil) -> Bool {
        let folder = location(dataDirectory: dataDirectory)
        return isEmbedded || files.allSatisfy { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
    }
}

/// Which part of a data set to load.
public enum DataSplit: String, Sendable, CaseIterable {
    case train, test
}

/// The data sets a config or the command line can name: each entry says where its files are
/// looked for, how to install them and how to read them, in one place; a program adds its
/// own with `register(_:)`.
public enum DatasetCatalog {
    /// The environment variable that overrides where data sets are looked for.
    public static let environmentVariable = "DISTILLERY_DATA_DIR"

    private static let idxFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    /// The data sets that ship with the library, in the order errors list them.
    public static let builtIn: [KnownDataset] = [
        KnownDataset(
            name: "digits", summary: "UCI optical digits, 1,797 8×8 images, 10 classes (embedded)", files: [], systemLocation: nil,
            installation: "none needed: ships with Distillery", classNames: (0..<10).map(String.init)) { split, _, _ in try digits(split: split) },
        KnownDataset(
            name: "fashion-mnist", summary: "Fashion-MNIST, 60,000 + 10,000 28×28 images, 10 classes", files: idxFiles,
            systemLocation: "/usr/share/datasets/fashion-mnist", installation: "apt-get install dataset-fashion-mnist",
            classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            loader: readIDX),
        KnownDataset(
            name: "mnist", summary: "MNIST, 60,000 + 10,000 28×28 images, 10 classes", files: idxFiles, systemLocation: nil,
            installation: "no package on the reachable registries ships it: copy the four IDX files (gz) into the folder",
            classNames: (0..<10).map(String.init), loader: readIDX),
        KnownDataset(
            name: "cifar10", summary: "CIFAR-10 binary version, 50,000 + 10,000 32×32 colour images, 10 classes",
            files: (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"], systemLocation: nil,
            installation: "no package on the reachable registries ships it: copy cifar-10-batches-bin/*.bin into the folder",
            classNames: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]) { split, folder, dataset in
            try readCIFAR(split == .train ? Array(dataset.files.prefix(5)) : ["test_batch.bin"], in: folder, variant: .cifar10, dataset)
        },
        KnownDataset(
            name: "cifar100", summary: "CIFAR-100 binary version, 50,000 + 10,000 32×32 colour images, 100 classes (the fine labels)",
            files: ["train.bin", "test.bin"], systemLocation: nil,
            installation: "no package on the reachable registries ships it: copy cifar-100-binary/train.bin and test.bin into the folder",
            classNames: cifar100FineLabels) { split, folder, dataset in
            try readCIFAR([split == .train ? "train.bin" : "test.bin"], in: folder, variant: .cifar100(fine: true), dataset)
        },
    ] + planetoid + synthetic

    /// The Planetoid citation graphs, node classification: the training split is the 20
    /// labeled nodes per class, the test split the 1,000 test nodes (`graph(named:)` gives the
    /// whole graph, for every node and the validation nodes), features row-normalised as
    /// GCN's code does.
    private static let planetoid: [KnownDataset] = [
        ("cora", "Cora citation graph, 2,708 papers, 5,278 links, 1,433 word features, 7 classes (embedded; nodes)", 7),
        ("citeseer", "Citeseer citation graph, 3,327 papers, 4,552 links, 3,703 word features, 6 classes (embedded; nodes)", 6),
    ].map { name, summary, classes in
        KnownDataset(name: name, summary: summary, files: [], systemLocation: nil, installation: "none needed: ships with Distillery",
                     classNames: (0..<classes).map { "class \($0)" }) { split, _, _ in
            let graph = try DatasetCatalog.graph(named: name)!
            return try graph.nodes(split == .train ? graph.trainNodes : graph.testNodes)
        }
    }

    /// The graph behind a node-classification data set (`cora`, `citeseer`), or nil for
    /// any other.
    public static func graph(named name: String) throws -> NodeClassificationGraph? {
        NodeClassificationGraph.planetoidNames.contains(name) ? try NodeClassificationGraph.planetoid(name).normalizingFeatures() : nil
    }

    /// The generated 2-D densities of the generative literature, for flow and diffusion
    /// models: 8,192 training and 2,048 test points each, from fixed seeds.
    private static let synthetic: [KnownDataset] = [
        ("gaussians-8", "eight Gaussians (σ 0.1) on a circle of radius 2, the component as the label", (0..<8).map { "mode \($0)" },
         { SyntheticData.gaussianMixture(count: $0, standardDeviation: 0.1, seed: $1) }),
        ("moons", "two interleaving half circles, noise 0.05", ["upper", "lower"], { SyntheticData.moons(count: $0, noise: 0.05, seed: $1) }),
        ("spirals", "two interleaved spirals of 1.5 turns, noise 0.02", ["first", "second"], { SyntheticData.twoSpirals(count: $0, noise: 0.02, seed: $1) }),
        ("rings", "three concentric rings of radius 1, 2 and 3, noise 0.05", ["inner", "middle", "outer"], { SyntheticData.rings(count: $0, seed: $1) }),
        ("checkerboard", "points uniform on the dark squares of a 4×4 board over [−2, 2]², unlabeled", [], { SyntheticData.checkerboard(count: $0, seed: $1) }),
    ].map { name, summary, classNames, generate in
        KnownDataset(name: name, summary: "2-D: \(summary); 8,192 + 2,048 points (generated)", files: [], systemLocation: nil,
                     installation: "none needed: generated", classNames: classNames) { split, _, _ in
            split == .train ? generate(8192, 1) : generate(2048, 2)
        }
    }

    private static let added = RegisteredEntries<KnownDataset>()

    /// Every data set a config can name: the built-in ones, then those a program registered.
    public static var all: [KnownDataset] { builtIn + added.all }

    /// Makes `dataset` available by its name; a name taken already is refused.
    public static func register(_ dataset: KnownDataset) throws {
        guard !all.contains(where: { $0.name == dataset.name }) else {
            throw DataError(dataset.name, "a data set of that name is registered already")
        }
        added.append(dataset)
    }

    /// The data set called `name`, or an error listing the known names.
    public static func dataset(named name: String) throws -> KnownDataset {
        guard let found = all.first(where: { $0.name == name }) else {
            throw DataError(name, "unknown data set (known: \(all.map { $0.name }.joined(separator: ", ")))")
        }
        return found
    }

    /// Loads a split of a known data set: images `[N, C, H, W]` scaled to [0, 1] and labels
    /// `[N]`. A missing data set is an error naming the folder and the install command.
    public static func load(_ name: String, split: DataSplit, dataDirectory: String? = nil) throws -> TensorDataset {
        let info = try dataset(named: name)
        guard info.isPresent(dataDirectory: dataDirectory) else {
            let folder = info.location(dataDirectory: dataDirectory)
            let missing = info.files.filter { !FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
            throw DataError(name, "not found in \(folder) (missing \(missing.joined(separator: ", "))); install with: \(info.installation)")
        }
        let data = try info.loader(split, URL(fileURLWithPath: info.location(dataDirectory: dataDirectory)), info)
        let source = "\(name) (\(split.rawValue) split)"
        guard data.count > 0 else { throw DataError(source, "holds no samples") }
        // The built-in loaders check each file as they read it, naming it; a registered
        // loader's data is checked here, once.
        if !builtIn.contains(where: { $0.name == name }) {
            try DataChecks.requireFinite(data.inputs, source: source)
            if let labels = data.labels, labels.rank == 1, !info.classNames.isEmpty {
                try DataChecks.requireClassLabels(labels, classCount: info.classNames.count, source: source)
            }
        }
        return data
    }

    /// MNIST's layout: gzipped IDX images `[N, H, W]` and labels `[N]`.
    @Sendable private static func readIDX(split: DataSplit, folder: URL, dataset: KnownDataset) throws -> TensorDataset {
        let prefix = split == .train ? "train" : "t10k"
        let (imageFile, labelFile) = (folder.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"), folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
        let images = try IDXReader.read(contentsOf: imageFile)
        let labels = try IDXReader.read(contentsOf: labelFile)
        guard images.rank == 3, labels.shape == [images.shape[0]] else {
            throw DataError(folder.path, "images \(images.shape) and labels \(labels.shape) are not [N, H, W] and [N]")
        }
        try DataChecks.requireFinite(images, source: imageFile.path)
        try DataChecks.requireClassLabels(labels, classCount: dataset.classNames.count, source: labelFile.path)
        return try TensorDataset(inputs: images.unsqueezed(axis: 1) / 255, labels: labels, classNames: dataset.classNames)
    }

    /// CIFAR's binary batches, one after another.
    private static func readCIFAR(_ files: [String], in folder: URL, variant: CIFARReader.Variant, _ dataset: KnownDataset) throws -> TensorDataset {
        let parts = try files.map { file in
            let url = folder.appendingPathComponent(file)
            let part = try CIFARReader.read(contentsOf: url, variant: variant)
            try DataChecks.requireClassLabels(part.labels, classCount: dataset.classNames.count, source: url.path)
            return part
        }
        return try TensorDataset(inputs: concatenate(parts.map { $0.images }) / 255, labels: concatenate(parts.map { $0.labels }),
                                 classNames: dataset.classNames)
    }

    /// CIFAR-100's fine labels, in label order (`fine_label_names` of the Python version).
    static let cifar100FineLabels = [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle", "bowl", "boy", "bridge", "bus",
        "butterfly", "camel", "can", "castle", "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab",
        "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
        "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine",
        "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
        "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor", "train",
        "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ]

    /// The embedded digits, split once and for all (seed 0, 80% of each class rounded):
    /// 1,438 to train and 359 to test. Images `[N, 1, 8, 8]` scaled from 0…16 to [0, 1].
    private static func digits(split: DataSplit) throws -> TensorDataset {
        let (train, test) = try digitSplits.get()
        return split == .train ? train : test
    }

    /// Parsed once per process: every run and test that asks for the digits gets these.
    private static let digitSplits = Result<(TensorDataset, TensorDataset), Error> {
        guard let compressed = Data(base64Encoded: embeddedDigitsBase64, options: .ignoreUnknownCharacters) else {
            throw DataError("digits", "the embedded data is not valid base64 (regenerate it with Sources/Datasets/Resources/embed.sh)")
        }
        let text = String(decoding: try Inflate.decompress(compressed, wrapper: .gzipOrZlib, source: "digits (embedded)"), as: UTF8.self)
        let table = try CSVReader.parse(text, hasHeader: false, labelColumn: .last, source: "digits (embedded)")
        let all = try TensorDataset(inputs: table.features.reshaped([-1, 1, 8, 8]) / 16, labels: table.labels, classNames: (0..<10).map(String.init))
        let (train, test) = all.labeledSplit(fraction: 0.8, seed: 0)
        return (try materialize(train), try materialize(test))
    }

    private static func materialize(_ subset: Subset<TensorDataset>) throws -> TensorDataset {
        let batch = subset.all()
        return try TensorDataset(batch, classNames: subset.classNames)
    }
}
