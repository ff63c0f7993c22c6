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

    /// A file of `header` (a JSON text) and `payload` zero bytes.
    private func safetensors(_ header: String, payload: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        return data + Data(header.utf8) + Data(count: payload)
    }

    func testSizesFromTheHeaderAreCheckedWithoutOverflow() throws {
        let cases: [(String, Int, String)] = [
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [1, -9223372036854775808]}}"#, 8, "data_offsets"),
            (#"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}"#, 8, "more elements than can be addressed"),
            (#"{"a": {"dtype": "F32", "shape": [2305843009213693952], "data_offsets": [0, 0]}}"#, 8, "more elements than can be addressed"),
            (#"{"a": {"dtype": "F64", "shape": [1152921504606846976], "data_offsets": [0, 8]}}"#, 8, "more elements than can be addressed"),
            (#"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, 8, "negative dimension"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, 8, "data_offsets"),
        ]
        for (header, payload, expected) in cases {
            XCTAssertThrowsError(try SafeTensors.decode(safetensors(header, payload: payload), path: "hostile.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("hostile.safetensors: "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
    }

    func testOverlappingGappedAndTrailingBytesAreRefusedAsTheFormatRequires() throws {
        let cases: [(String, Int, String)] = [
            (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#, 12, "overlaps"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}"#, 12, "belong to no tensor"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 12, "8 trailing bytes"),
            (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 4, "overlaps"),
        ]
        for (header, payload, expected) in cases {
            XCTAssertThrowsError(try SafeTensors.decode(safetensors(header, payload: payload), path: "bad.safetensors")) { error in
                XCTAssertTrue("\(error)".hasPrefix("bad.safetensors: "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
        // Out of order in the header but tiling the payload is valid, as are empty tensors.
        let valid = #"{"b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "e": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}}"#
        let (tensors, _) = try SafeTensors.decode(safetensors(valid, payload: 8), path: "ok.safetensors")
        XCTAssertEqual(tensors.keys.sorted(), ["a", "b", "e"])
        XCTAssertEqual(tensors["e"]?.shape, [0])
    }

    func testAHeaderLongerThanTheFormatAllowsIsRefusedBeforeParsing() throws {
        var data = Data()
        withUnsafeBytes(of: (SafeTensors.maximumHeaderLength + 1).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(count: Int(SafeTensors.maximumHeaderLength) + 1))
        XCTAssertThrowsError(try SafeTensors.decode(data, path: "huge.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("exceeds the format's limit"), "\(error)")
        }
    }
}

final class AtomicFileTests: XCTestCase {
    func testAFailedWriteNamesTheFileInOneLineAndLeavesNoTemporary() throws {
        XCTAssertEqual("\(FileWriteError(path: "runs/x/checkpoints/last.safetensors", code: ENOSPC))",
                       "no space left on device writing runs/x/checkpoints/last.safetensors")
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID())/model.safetensors")
        XCTAssertThrowsError(try AtomicFile.write(Data([1, 2, 3]), to: missing)) { error in
            XCTAssertEqual("\(error)", "no such file or directory writing \(missing.path)")
        }
        // A rename onto a folder fails after the bytes are written: the temporary goes too.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("taken/inner"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try AtomicFile.write(Data([1, 2, 3]), to: folder.appendingPathComponent("taken")))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["taken"])
    }
}
