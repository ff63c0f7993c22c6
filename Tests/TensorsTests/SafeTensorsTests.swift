import Foundation
import Tensors
import XCTest

final class SafeTensorsTests: XCTestCase {
    private var fixture: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.safetensors")
    }

    func testReadsAFileWrittenByTheReferenceImplementation() throws {
        let (tensors, metadata) = try SafeTensors.read(contentsOf: fixture)
        XCTAssertEqual(metadata, ["format": "pt", "note": "fixture"])
        XCTAssertEqual(tensors["layers.0.weight"]?.shape, [2, 3])
        XCTAssertEqual(tensors["layers.0.weight"]?.scalars, [0, 0.25, 0.5, 0.75, 1, 1.25])
        XCTAssertEqual(tensors["layers.0.bias"]?.scalars, [0.5, -0.5], "F16")
        XCTAssertEqual(tensors["running_var"]?.scalars, [1, 2, 3], "F64")
        XCTAssertEqual(tensors["num_batches_tracked"]?.shape, [], "I64 scalar")
        XCTAssertEqual(tensors["num_batches_tracked"]?.item, 7)
    }

    func testWriteThenReadRoundTripsAndIsAtomic() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("model.safetensors")
        var rng = RandomGenerator(seed: 4)
        let original = ["a.weight": Tensor.normal([3, 5], using: &rng), "a.bias": Tensor([1, -2, 3]), "scalar": Tensor(9)]
        try SafeTensors.write(original, metadata: ["epoch": "3"], to: url)
        let (read, metadata) = try SafeTensors.read(contentsOf: url)
        XCTAssertEqual(metadata, ["epoch": "3"])
        XCTAssertEqual(Set(read.keys), Set(original.keys))
        for (name, tensor) in original {
            XCTAssertEqual(read[name]?.shape, tensor.shape, name)
            XCTAssertEqual(read[name]?.scalars, tensor.scalars, name)
        }
        // Data starts 8-byte aligned, as the reference writer guarantees.
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0)
        // Only the final file remains: no temporary left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["model.safetensors"])
    }

    func testTruncatedAndCorruptFilesGiveErrorsNamingTheFile() throws {
        let bytes = try Data(contentsOf: fixture)
        let cases: [(Data, String)] = [
            (bytes.prefix(5), "too short"),
            (bytes.prefix(bytes.count - 4), "data_offsets"),
            (Data([8, 0, 0, 0, 0, 0, 0, 0]) + Data("not json".utf8), "not a JSON object"),
            (Data([200, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]), "exceeds the file size"),
        ]
        for (data, expected) in cases {
            XCTAssertThrowsError(try SafeTensors.decode(data, path: "broken.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("broken.safetensors: "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
    }
}
