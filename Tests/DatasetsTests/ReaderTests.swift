import Datasets
import Foundation
import Tensors
import XCTest

/// Each reader on small files written by the reference tools (Fixtures/make_fixtures.py)
/// or by the test, including truncated and corrupt files: each gives an error naming the
/// file and what was wrong, never a crash.
final class ReaderTests: XCTestCase {
    private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("distillery-readers-\(UUID())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Writes `data` to a scratch file and returns its URL.
    private func file(_ name: String, _ data: Data) throws -> URL {
        let url = scratch.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Asserts that `body` throws a `DataError` for `url` whose reason mentions `expected`.
    private func assertDataError(_ url: URL, mentions expected: String, file: StaticString = #filePath, line: UInt = #line, _ body: (URL) throws -> Void) {
        XCTAssertThrowsError(try body(url), file: file, line: line) { error in
            guard let dataError = error as? DataError else { return XCTFail("not a DataError: \(error)", file: file, line: line) }
            XCTAssertTrue(dataError.source.hasPrefix(url.path), "error names \(dataError.source), not \(url.path)", file: file, line: line)
            XCTAssertTrue(dataError.reason.contains(expected), "'\(dataError.reason)' should mention '\(expected)'", file: file, line: line)
        }
    }

    func testIDXGzipAndFloat() throws {
        let images = try IDXReader.read(contentsOf: fixtures.appendingPathComponent("tiny-images-idx3-ubyte.gz"))
        XCTAssertEqual(images.shape, [3, 2, 3])
        XCTAssertEqual(images.scalars, (0..<18).map { Float($0 * 7) })
        let floats = try IDXReader.read(contentsOf: fixtures.appendingPathComponent("tiny-float.idx"))
        XCTAssertEqual(floats.shape, [2, 2])
        XCTAssertEqual(floats.scalars, [1.5, -2.25, 3, 1e-3])
    }

    func testIDXTruncatedAndCorrupt() throws {
        let gz = try Data(contentsOf: fixtures.appendingPathComponent("tiny-images-idx3-ubyte.gz"))
        assertDataError(try file("truncated.gz", gz.prefix(gz.count - 12)), mentions: "truncated") { _ = try IDXReader.read(contentsOf: $0) }
        var corrupt = gz
        for i in (corrupt.count - 24)..<(corrupt.count - 10) { corrupt[i] ^= 0x5A }  // the deflate body, past the header's file name
        assertDataError(try file("corrupt.gz", corrupt), mentions: "corrupt") { _ = try IDXReader.read(contentsOf: $0) }
        let raw = try Data(contentsOf: fixtures.appendingPathComponent("tiny-float.idx"))
        assertDataError(try file("short.idx", raw.prefix(raw.count - 1)), mentions: "needs 16") { _ = try IDXReader.read(contentsOf: $0) }
        assertDataError(try file("magic.idx", Data([1, 2, 8, 1, 0, 0, 0, 1, 5])), mentions: "magic") { _ = try IDXReader.read(contentsOf: $0) }
        assertDataError(try file("type.idx", Data([0, 0, 0x42, 1, 0, 0, 0, 1, 5])), mentions: "element type") { _ = try IDXReader.read(contentsOf: $0) }
        assertDataError(scratch.appendingPathComponent("absent.idx"), mentions: "not found") { _ = try IDXReader.read(contentsOf: $0) }
    }

    func testCIFARRecords() throws {
        // Three CIFAR-10 records: label, then 3072 bytes channel by channel.
        var bytes = Data()
        for record in 0..<3 {
            bytes.append(UInt8(record + 4))
            bytes.append(contentsOf: (0..<3072).map { UInt8(($0 + record) % 256) })
        }
        let (images, labels) = try CIFARReader.read(contentsOf: try file("batch.bin", bytes))
        XCTAssertEqual(images.shape, [3, 3, 32, 32])
        XCTAssertEqual(labels.scalars, [4, 5, 6])
        XCTAssertEqual(images[element: [1, 2, 0, 0]], Float((2048 + 1) % 256))
        assertDataError(try file("cut.bin", bytes.prefix(5000)), mentions: "3073-byte") { _ = try CIFARReader.read(contentsOf: $0) }
        // CIFAR-100 records carry a coarse and a fine label.
        let hundred = Data([3, 17] + [UInt8](repeating: 9, count: 3072))
        XCTAssertEqual(try CIFARReader.read(contentsOf: try file("c100.bin", hundred), variant: .cifar100(fine: true)).labels.scalars, [17])
        XCTAssertEqual(try CIFARReader.read(contentsOf: try file("c100.bin", hundred), variant: .cifar100(fine: false)).labels.scalars, [3])
    }

    func testCSVHeaderLabelsAndErrors() throws {
        let table = try CSVReader.read(contentsOf: try file("t.csv", Data("a, b,label\n1,2,0\n3.5,-4,1\n\n".utf8)), labelColumn: .named("label"))
        XCTAssertEqual(table.features.shape, [2, 2])
        XCTAssertEqual(table.features.scalars, [1, 2, 3.5, -4])
        XCTAssertEqual(table.labels?.scalars, [0, 1])
        XCTAssertEqual(table.featureNames, ["a", "b"])
        let headless = try CSVReader.read(contentsOf: try file("h.csv", Data("5,1,2\n6,3,4\n".utf8)), labelColumn: .index(0))
        XCTAssertEqual(headless.labels?.scalars, [5, 6])
        XCTAssertEqual(headless.features.scalars, [1, 2, 3, 4])
        assertDataError(try file("ragged.csv", Data("1,2\n3\n".utf8)), mentions: "line 2 has 1 fields, expected 2") { _ = try CSVReader.read(contentsOf: $0) }
        assertDataError(try file("text.csv", Data("x,y\n1,oops\n".utf8)), mentions: "line 2, column 2 ('y'): 'oops' is not a number") { _ = try CSVReader.read(contentsOf: $0) }
        assertDataError(try file("named.csv", Data("x,y\n1,2\n".utf8)), mentions: "no column named 'z'") { _ = try CSVReader.read(contentsOf: $0, labelColumn: .named("z")) }
    }

    func testNPYDtypesAndOrders() throws {
        let f32 = try NPYReader.read(contentsOf: fixtures.appendingPathComponent("float32.npy"))
        XCTAssertEqual(f32.shape, [2, 3])
        XCTAssertEqual(f32.scalars, [1.5, -2, 3.25, 0, 7, -1])
        let fortran = try NPYReader.read(contentsOf: fixtures.appendingPathComponent("int64_fortran.npy"))
        XCTAssertEqual(fortran.shape, [2, 3])
        XCTAssertEqual(fortran.scalars, [-2, -1, 0, 1, 2, 3], "Fortran order is read back in row-major order")
        let half = try NPYReader.read(contentsOf: fixtures.appendingPathComponent("float16_bigendian.npy"))
        XCTAssertEqual(half.scalars[0...2], [0.5, -1, 65504])
        XCTAssertEqual(half.scalars[3], 5.96e-8, accuracy: 1e-9, "half-precision subnormal")
        XCTAssertEqual(try NPYReader.read(contentsOf: fixtures.appendingPathComponent("bool.npy")).scalars, [1, 0, 1])
        XCTAssertEqual(try NPYReader.read(contentsOf: fixtures.appendingPathComponent("uint8_3d.npy")).shape, [2, 3, 4])
    }

    func testNPZStoredAndCompressed() throws {
        let stored = try NPYReader.readArchive(contentsOf: fixtures.appendingPathComponent("stored.npz"))
        XCTAssertEqual(stored["a"]?.scalars, [1, 2, 3])
        XCTAssertEqual(stored["b"]?.scalars, [1, 0, 0, 1])
        let compressed = try NPYReader.readArchive(contentsOf: fixtures.appendingPathComponent("compressed.npz"))
        XCTAssertEqual(compressed["x"]?.shape, [5, 10])
        XCTAssertEqual(compressed["x"]!.scalars[49], 1)
        XCTAssertEqual(compressed["y"]?.scalars, [0, 1, 2, 3, 4])
    }

    func testNPYAndNPZTruncatedAndCorrupt() throws {
        let npy = try Data(contentsOf: fixtures.appendingPathComponent("float32.npy"))
        assertDataError(try file("short.npy", npy.prefix(npy.count - 3)), mentions: "truncated") { _ = try NPYReader.read(contentsOf: $0) }
        assertDataError(try file("head.npy", npy.prefix(20)), mentions: "cut off") { _ = try NPYReader.read(contentsOf: $0) }
        assertDataError(try file("magic.npy", Data("NOTNUMPY..........".utf8)), mentions: "magic") { _ = try NPYReader.read(contentsOf: $0) }
        var complex = npy
        if let range = complex.range(of: Data("<f4".utf8)) { complex.replaceSubrange(range, with: Data("<c8".utf8)) }
        assertDataError(try file("complex.npy", complex), mentions: "unsupported dtype '<c8'") { _ = try NPYReader.read(contentsOf: $0) }
        let npz = try Data(contentsOf: fixtures.appendingPathComponent("compressed.npz"))
        assertDataError(try file("cut.npz", npz.prefix(npz.count / 2)), mentions: "zip") { _ = try NPYReader.readArchive(contentsOf: $0) }
    }

    /// IDX bytes of unsigned bytes (type 0x08) or floats (0x0D) of `shape`.
    private func idx(_ values: [Float], shape: [Int], floats: Bool = false) -> Data {
        var data = Data([0, 0, floats ? 0x0D : 0x08, UInt8(shape.count)])
        for dimension in shape { withUnsafeBytes(of: UInt32(dimension).bigEndian) { data.append(contentsOf: $0) } }
        for value in values {
            if floats { withUnsafeBytes(of: value.bitPattern.bigEndian) { data.append(contentsOf: $0) } } else { data.append(UInt8(value)) }
        }
        return data
    }

    func testSizesInHeadersAreCheckedWithoutOverflow() throws {
        let dimensions = Data([0, 0, 0x08, 3] + [UInt8](repeating: 0xFF, count: 12)) + Data(count: 16)
        assertDataError(try file("huge.idx", dimensions), mentions: "more bytes than can be addressed") { _ = try IDXReader.read(contentsOf: $0) }
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0])
        npy.append(Data(header.utf8))
        npy.append(Data(count: 32))
        assertDataError(try file("huge.npy", npy), mentions: "more bytes than can be addressed") { _ = try NPYReader.read(contentsOf: $0) }
    }

    /// A folder in MNIST's layout whose training split has the given pixels and labels.
    private func mnistFolder(images: [Float], labels: [Float], floats: Bool = false) throws -> URL {
        let folder = scratch.appendingPathComponent("mnist")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let count = labels.count
        try idx(images, shape: [count, 2, 2], floats: floats).write(to: folder.appendingPathComponent("train-images-idx3-ubyte.gz"))
        try idx(labels, shape: [count]).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte.gz"))
        try idx([Float](repeating: 1, count: 4), shape: [1, 2, 2]).write(to: folder.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try idx([0], shape: [1]).write(to: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        return folder
    }

    func testLabelsOutOfRangeAndNonFinitePixelsNameTheFileAndSample() throws {
        let pixels = [Float](repeating: 7, count: 12)
        var folder = try mnistFolder(images: pixels, labels: [3, 200, 1])
        assertDataError(folder.appendingPathComponent("train-labels-idx1-ubyte.gz"), mentions: "sample 1 has label 200.0; labels must be class indices 0…9") { _ in
            _ = try DatasetCatalog.load("mnist", split: .train, dataDirectory: self.scratch.path)
        }
        var withNaN = pixels
        withNaN[9] = .nan
        folder = try mnistFolder(images: withNaN, labels: [3, 2, 1], floats: true)
        assertDataError(folder.appendingPathComponent("train-images-idx3-ubyte.gz"), mentions: "sample 2 holds nan") { _ in
            _ = try DatasetCatalog.load("mnist", split: .train, dataDirectory: self.scratch.path)
        }
        XCTAssertEqual(try DatasetCatalog.load("mnist", split: .test, dataDirectory: scratch.path).count, 1)

        let cifarFolder = scratch.appendingPathComponent("cifar10")
        try FileManager.default.createDirectory(at: cifarFolder, withIntermediateDirectories: true)
        for name in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            var record = Data(count: 3073)
            record[0] = name == "data_batch_4.bin" ? 10 : 2
            try (record + record).write(to: cifarFolder.appendingPathComponent(name))
        }
        assertDataError(cifarFolder.appendingPathComponent("data_batch_4.bin"), mentions: "sample 0 has label 10.0") { _ in
            _ = try DatasetCatalog.load("cifar10", split: .train, dataDirectory: self.scratch.path)
        }
    }

    func testChecksCatchNaNAndFractionalLabels() {
        XCTAssertThrowsError(try DataChecks.requireClassLabels(Tensor([0, 1.5, 2]), classCount: 3, source: "labels.bin")) { error in
            XCTAssertEqual("\(error)", "labels.bin: sample 1 has label 1.5; labels must be class indices 0…2")
        }
        XCTAssertThrowsError(try DataChecks.requireClassLabels(Tensor([.nan]), classCount: 3, source: "labels.bin")) { error in
            XCTAssertEqual("\(error)", "labels.bin: sample 0 has label nan; labels must be class indices 0…2")
        }
        XCTAssertNoThrow(try DataChecks.requireClassLabels(Tensor([0, 2, 1]), classCount: 3, source: "labels.bin"))
        XCTAssertThrowsError(try DataChecks.requireFinite(Tensor([0, 1, .infinity, 2], shape: [2, 2]), source: "x.npy")) { error in
            XCTAssertEqual("\(error)", "x.npy: sample 1 holds inf; every value must be finite")
        }
    }
}

/// The writers: `.npy` files that `NPYReader` (and NumPy) read back, and PNG files.
final class WriterTests: XCTestCase {
    func testNPYFilesRoundTripEveryShape() throws {
        for shape in [[5], [2, 3], [2, 1, 4, 4]] {
            var generator = RandomGenerator(seed: UInt64(shape.count))
            let tensor = Tensor.normal(shape, using: &generator)
            let data = NPYWriter.encode(tensor)
            let decoded = try NPYReader.decode(data, source: "written.npy")
            XCTAssertEqual(decoded.shape, shape)
            XCTAssertEqual(decoded.scalars, tensor.scalars)
            let headerLength = Int(data[8]) | Int(data[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, "the data starts on a 64-byte boundary")
        }
    }

    func testPNGGridsLayImagesOutOnePixelApartAndClipToTheRange() {
        let images = Tensor([0, 0.5, 1, 2, -1, 0.25, 0.75, 1], shape: [2, 1, 2, 2])
        let grid = PNGWriter.grid(images, columns: 2, background: -1)
        XCTAssertEqual(grid.shape, [1, 2, 5])
        XCTAssertEqual(grid.scalars, [0, 0.5, -1, -1, 0.25, 1, 2, -1, 0.75, 1])
        let png = PNGWriter.encode(grid)
        XCTAssertEqual(Array(png.prefix(16)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8))
        XCTAssertEqual(Array(png[16..<26]), [0, 0, 0, 5, 0, 0, 0, 2, 8, 0], "5 × 2, 8-bit greyscale")
        XCTAssertEqual(Array(png.suffix(12)), [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82], "IEND with its fixed CRC")
    }
}
