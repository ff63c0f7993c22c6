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
}
