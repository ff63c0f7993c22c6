import Datasets
import Foundation
import Tensors
import XCTest

final class CatalogTests: XCTestCase {
    func testFashionMNISTWhenInstalled() throws {
        let info = try DatasetCatalog.dataset(named: "fashion-mnist")
        guard info.isPresent() else {
            throw XCTSkip("Fashion-MNIST is not installed at \(info.location()) (\(info.installation)); CI installs it")
        }
        let train = try DatasetCatalog.load("fashion-mnist", split: .train)
        let test = try DatasetCatalog.load("fashion-mnist", split: .test)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(train.sampleShape, [1, 28, 28])
        XCTAssertEqual(train.classHistogram(), [Int](repeating: 6_000, count: 10))
        XCTAssertEqual(test.classHistogram(), [Int](repeating: 1_000, count: 10))
        XCTAssertEqual(train.inputs.min().item, 0)
        XCTAssertEqual(train.inputs.max().item, 1)
        XCTAssertEqual(train.classNames.first, "T-shirt/top")
    }

    func testEmbeddedDigits() throws {
        let train = try DatasetCatalog.load("digits", split: .train)
        let test = try DatasetCatalog.load("digits", split: .test)
        XCTAssertEqual(train.count + test.count, 1_797)
        XCTAssertEqual(train.count, 1_438, "80% of each class, rounded")
        XCTAssertEqual(train.sampleShape, [1, 8, 8])
        XCTAssertEqual(test.classHistogram().reduce(0, +), 359)
        XCTAssertTrue(test.classHistogram().allSatisfy { (34...37).contains($0) }, "stratified: \(test.classHistogram())")
        XCTAssertEqual(train.inputs.max().item, 1)
        // Disjoint: no test image appears in the training part.
        let trainRows = Set((0..<train.count).map { train.inputs[$0].scalars })
        XCTAssertEqual((0..<test.count).filter { trainRows.contains(test.inputs[$0].scalars) }.count, 0)
    }

    func testMissingDataSetNamesTheFolderAndTheInstallCommand() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("empty-data-\(UUID())").path
        XCTAssertThrowsError(try DatasetCatalog.load("fashion-mnist", split: .train, dataDirectory: folder)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("\(folder)/fashion-mnist"), text)
            XCTAssertTrue(text.contains("apt-get install dataset-fashion-mnist"), text)
        }
        XCTAssertThrowsError(try DatasetCatalog.dataset(named: "imagenet")) { error in
            XCTAssertTrue("\(error)".contains("known: digits, fashion-mnist, mnist, cifar10"), "\(error)")
        }
    }

    func testDataDirectoryOverrideFindsFilesThere() throws {
        // A data directory with a tiny CIFAR-10 in it is found and loaded through the catalog.
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("data-\(UUID())")
        let folder = root.appendingPathComponent("cifar10")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        for (index, name) in ((1...5).map { "data_batch_\($0).bin" } + ["test_batch.bin"]).enumerated() {
            try Data([UInt8(index)] + [UInt8](repeating: 255, count: 3072)).write(to: folder.appendingPathComponent(name))
        }
        let info = try DatasetCatalog.dataset(named: "cifar10")
        XCTAssertTrue(info.isPresent(dataDirectory: root.path))
        let train = try DatasetCatalog.load("cifar10", split: .train, dataDirectory: root.path)
        XCTAssertEqual(train.count, 5)
        XCTAssertEqual(train.labels?.scalars, [0, 1, 2, 3, 4])
        XCTAssertEqual(train.inputs.max().item, 1)
    }

    /// CIFAR-100's binary layout: a coarse and a fine label byte, then 3,072 pixel bytes per
    /// record; the fine label is the class.
    func testCIFAR100ReadsTheFineLabels() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cifar-data-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("cifar100")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func records(_ labels: [(coarse: UInt8, fine: UInt8)]) -> Data {
            Data(labels.enumerated().flatMap { index, label in [label.coarse, label.fine] + [UInt8](repeating: UInt8(index * 50), count: 3_072) })
        }
        try records([(4, 30), (19, 99), (0, 0)]).write(to: folder.appendingPathComponent("train.bin"))
        try records([(14, 2)]).write(to: folder.appendingPathComponent("test.bin"))
        let train = try DatasetCatalog.load("cifar100", split: .train, dataDirectory: root.path)
        let test = try DatasetCatalog.load("cifar100", split: .test, dataDirectory: root.path)
        XCTAssertEqual(train.labels?.scalars, [30, 99, 0])
        XCTAssertEqual(test.labels?.scalars, [2])
        XCTAssertEqual(train.sampleShape, [3, 32, 32])
        XCTAssertEqual(train.inputs[1].max().item, 50 / 255, accuracy: 1e-6)
        XCTAssertEqual(train.classNames.count, 100)
        XCTAssertEqual([train.classNames[30], train.classNames[99], train.classNames[2]], ["dolphin", "worm", "baby"])
    }

    func testAProgramRegistersItsOwnDataSetAndUnknownNamesListThemAll() throws {
        let ring = KnownDataset(name: "test-ring", summary: "points on a ring", files: [], systemLocation: nil, installation: "none",
                                classNames: ["inner", "outer"]) { split, _, _ in
            let count = split == .train ? 20 : 6
            let radii = (0..<count).map { Float(1 + $0 % 2) }
            return try TensorDataset(inputs: Tensor(radii.flatMap { [$0, 0] }, shape: [count, 2]), labels: Tensor(radii.map { $0 - 1 }),
                                     classNames: ["inner", "outer"])
        }
        if (try? DatasetCatalog.dataset(named: "test-ring")) == nil { try DatasetCatalog.register(ring) }
        XCTAssertEqual(try DatasetCatalog.load("test-ring", split: .test).count, 6)
        XCTAssertThrowsError(try DatasetCatalog.register(ring)) { error in
            XCTAssertEqual("\(error)", "test-ring: a data set of that name is registered already")
        }
        XCTAssertEqual(Array(DatasetCatalog.all.map { $0.name }.prefix(5)), ["digits", "fashion-mnist", "mnist", "cifar10", "cifar100"])
        XCTAssertThrowsError(try DatasetCatalog.dataset(named: "imagenet")) { error in
            XCTAssertEqual("\(error)", "imagenet: unknown data set (known: \(DatasetCatalog.all.map { $0.name }.joined(separator: ", ")))")
        }
    }

    /// The digits compiled into the binary are the shipped source file, byte for byte (run
    /// Sources/Datasets/Resources/embed.sh after changing it).
    func testTheEmbeddedDigitsAreTheSourceFile() throws {
        let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Datasets")
        let generated = try String(contentsOf: datasets.appendingPathComponent("Catalog/EmbeddedDigits.swift"), encoding: .utf8)
        let base64 = generated.components(separatedBy: "\"\"\"")[1]
        let embedded = try XCTUnwrap(Data(base64Encoded: base64, options: .ignoreUnknownCharacters))
        XCTAssertEqual(embedded, try Data(contentsOf: datasets.appendingPathComponent("Resources/digits.csv.gz")))
    }
}
