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

public enum DatasetCatalog {
    /// The environment variable that overrides where data sets are looked for.
    public static let environmentVariable = "DISTILLERY_DATA_DIR"

    private static let idxFiles = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    /// Every known data set.
    public static let all: [KnownDataset] = [
        KnownDataset(
            name: "digits", summary: "UCI optical digits, 1,797 8×8 images, 10 classes (embedded)", files: [], systemLocation: nil,
            installation: "none needed: ships with Distillery", classNames: (0..<10).map(String.init)),
        KnownDataset(
            name: "fashion-mnist", summary: "Fashion-MNIST, 60,000 + 10,000 28×28 images, 10 classes", files: idxFiles,
            systemLocation: "/usr/share/datasets/fashion-mnist", installation: "apt-get install dataset-fashion-mnist",
            classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]),
        KnownDataset(
            name: "mnist", summary: "MNIST, 60,000 + 10,000 28×28 images, 10 classes", files: idxFiles, systemLocation: nil,
            installation: "no package on the reachable registries ships it: copy the four IDX files (gz) into the folder",
            classNames: (0..<10).map(String.init)),
        KnownDataset(
            name: "cifar10", summary: "CIFAR-10 binary version, 50,000 + 10,000 32×32 colour images, 10 classes",
            files: (1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"], systemLocation: nil,
            installation: "no package on the reachable registries ships it: copy cifar-10-batches-bin/*.bin into the folder",
            classNames: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]),
    ]

    /// The data set called `name`, or an error listing the known names.
    public static func dataset(named name: String) throws -> KnownDataset {
        guard let found = all.first(where: { $0.name == name }) else {
            throw DataError(name, "unknown data set (known: \(all.map(\.name).joined(separator: ", ")))")
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
        let folder = URL(fileURLWithPath: info.location(dataDirectory: dataDirectory))
        switch name {
        case "digits":
            return try digits(split: split)
        case "cifar10":
            let files = split == .train ? Array(info.files.prefix(5)) : ["test_batch.bin"]
            let parts = try files.map { try CIFARReader.read(contentsOf: folder.appendingPathComponent($0)) }
            return try TensorDataset(
                inputs: concatenate(parts.map(\.images)) / 255, labels: concatenate(parts.map(\.labels)), classNames: info.classNames)
        default:
            let prefix = split == .train ? "train" : "t10k"
            let images = try IDXReader.read(contentsOf: folder.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
            let labels = try IDXReader.read(contentsOf: folder.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
            guard images.rank == 3, labels.shape == [images.shape[0]] else {
                throw DataError(folder.path, "images \(images.shape) and labels \(labels.shape) are not [N, H, W] and [N]")
            }
            return try TensorDataset(inputs: images.unsqueezed(axis: 1) / 255, labels: labels, classNames: info.classNames)
        }
    }

    /// The embedded digits, split once and for all (seed 0, 80% of each class rounded):
    /// 1,438 to train and 359 to test. Images `[N, 1, 8, 8]` scaled from 0…16 to [0, 1].
    private static func digits(split: DataSplit) throws -> TensorDataset {
        let (train, test) = try digitSplits.get()
        return split == .train ? train : test
    }

    /// Parsed once per process: every run and test that asks for the digits gets these.
    private static let digitSplits = Result<(TensorDataset, TensorDataset), Error> {
        guard let url = Bundle.module.url(forResource: "digits.csv", withExtension: "gz") else {
            throw DataError("digits", "the embedded file digits.csv.gz is missing from the Datasets bundle")
        }
        let table = try CSVReader.read(contentsOf: url, hasHeader: false, labelColumn: .last)
        let all = try TensorDataset(inputs: table.features.reshaped([-1, 1, 8, 8]) / 16, labels: table.labels, classNames: (0..<10).map(String.init))
        let (train, test) = all.labeledSplit(fraction: 0.8, seed: 0)
        return (try materialize(train), try materialize(test))
    }

    private static func materialize(_ subset: Subset<TensorDataset>) throws -> TensorDataset {
        let batch = subset.all()
        return try TensorDataset(batch, classNames: subset.classNames)
    }
}
