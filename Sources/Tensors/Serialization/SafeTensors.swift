import Foundation

/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON
/// header mapping each name to `{dtype, shape, data_offsets}` (plus an optional
/// `__metadata__` of strings), then the raw little-endian data. PyTorch's
/// `safetensors.torch.save_file(model.state_dict(), path)` writes it.
public enum SafeTensors {
    /// A safetensors file that cannot be read, naming the file and what was wrong.
    public struct FormatError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)".escapingControlCharacters }
    }

    /// The largest JSON header the reference implementation accepts (100 MB).
    public static let maximumHeaderLength: UInt64 = 100_000_000

    /// The tensors and metadata of a safetensors file. F32, F16, BF16, F64, I64, I32, I16,
    /// I8, U8 and BOOL are converted to Float32.
    public static func read(contentsOf url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FormatError(path: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, path: url.path)
    }

    /// The `__metadata__` of a safetensors file, read from its header alone.
    public static func readMetadata(contentsOf url: URL) throws -> [String: String] {
        func fail(_ reason: String) -> FormatError { FormatError(path: url.path, reason: reason) }
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw fail("cannot be read") }
        defer { try? handle.close() }
        let lengthBytes = try handle.read(upToCount: 8) ?? Data()
        guard lengthBytes.count == 8 else { throw fail("is \(lengthBytes.count) bytes, too short for the 8-byte header length") }
        let headerLength = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= maximumHeaderLength else {
            throw fail("header length \(headerLength) exceeds the format's limit of \(maximumHeaderLength) bytes")
        }
        let header = try handle.read(upToCount: Int(headerLength)) ?? Data()
        guard header.count == Int(headerLength),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { throw fail("header is not a JSON object") }
        guard let entries = object["__metadata__"] else { return [:] }
        guard let strings = entries as? [String: String] else { throw fail("__metadata__ is not an object of strings") }
        return strings
    }

    /// Decodes safetensors bytes; `path` names the source in errors.
    public static func decode(_ data: Data, path: String = "<memory>") throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func fail(_ reason: String) -> FormatError { FormatError(path: path, reason: reason) }
        guard data.count >= 8 else { throw fail("is \(data.count) bytes, too short for the 8-byte header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail("header length \(headerLength) exceeds the file size \(data.count) (truncated?)")
        }
        guard headerLength <= maximumHeaderLength else {
            throw fail("header length \(headerLength) exceeds the format's limit of \(maximumHeaderLength) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<headerEnd)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let payload = data.count - headerEnd
        var entries: [(name: String, dtype: DType, shape: [Int], start: Int, end: Int)] = []
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else { throw fail("__metadata__ is not an object of strings") }
                for (key, entry) in entries {
                    guard let text = entry as? String else { throw fail("__metadata__.\(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor '\(name)' lacks dtype, shape or data_offsets") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("tensor '\(name)' has unsupported dtype \(dtypeName) (expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let bytes = checkedByteCount(shape: shape, elementSize: dtype.size) else {
                throw fail("tensor '\(name)' has shape \(shape), which has a negative dimension or more elements than can be addressed")
            }
            // Checked in this order, `end - start` cannot overflow.
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= payload, offsets[1] - offsets[0] == bytes else {
                throw fail("tensor '\(name)' of shape \(shape) and dtype \(dtypeName) has data_offsets \(offsets) that do not fit \(bytes) bytes in a payload of \(payload)")
            }
            entries.append((name, dtype, shape, offsets[0], offsets[1]))
        }
        // As the format's own validation requires: the tensors tile the payload, in offset
        // order, with no overlap, gap or trailing bytes.
        entries.sort { ($0.start, $0.end, $0.name) < ($1.start, $1.end, $1.name) }
        var covered = 0
        for entry in entries {
            guard entry.start == covered else {
                throw fail(entry.start < covered
                    ? "tensor '\(entry.name)' at bytes \(entry.start)..<\(entry.end) overlaps the tensor before it, which ends at \(covered)"
                    : "bytes \(covered)..<\(entry.start) before tensor '\(entry.name)' belong to no tensor")
            }
            covered = entry.end
        }
        guard covered == payload else {
            throw fail("\(payload - covered) trailing bytes after the last tensor (the payload is \(payload) bytes, the tensors take \(covered))")
        }
        var tensors: [String: Tensor] = [:]
        for entry in entries {
            tensors[entry.name] = data.withUnsafeBytes { raw in
                Tensor(shape: entry.shape) { buffer in
                    entry.dtype.convert(UnsafeRawBufferPointer(rebasing: raw[(headerEnd + entry.start)..<(headerEnd + entry.end)]), into: buffer)
                }
            }
        }
        return (tensors, metadata)
    }

    /// The bytes of a safetensors file holding `tensors` as F32, in name order.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let tensor = tensors[name]!
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + 4 * tensor.count]] as [String: Any]
            offset += 4 * tensor.count
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { buffer in
                #if _endian(little)
                data.append(UnsafeBufferPointer(start: buffer.baseAddress, count: buffer.count))
                #else
                buffer.withMemoryRebound(to: UInt32.self) { words in
                    for word in words { withUnsafeBytes(of: word.littleEndian) { data.append(contentsOf: $0) } }
                }
                #endif
            }
        }
        return data
    }

    /// Writes `tensors` to `url` atomically: a temporary file in the same folder, then a
    /// rename, so a crash never leaves a half-written file in place of the old one.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }

    /// The element types the reader converts from.
    enum DType: String, CaseIterable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

        var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16, .i16: return 2
            case .i8, .u8, .bool: return 1
            }
        }

        func convert(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableBufferPointer<Float>) {
            for i in destination.indices {
                let offset = i * size
                switch self {
                case .f32: destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case .f64: destination[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self))))
                case .f16: destination[i] = Float(halfPrecisionBits: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case .bf16: destination[i] = Float(bitPattern: UInt32(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) << 16)
                case .i64: destination[i] = Float(Int64(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                case .i32: destination[i] = Float(Int32(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                case .i16: destination[i] = Float(Int16(littleEndian: source.loadUnaligned(fromByteOffset: offset, as: Int16.self)))
                case .i8: destination[i] = Float(source.load(fromByteOffset: offset, as: Int8.self))
                case .u8, .bool: destination[i] = Float(source[offset])
                }
            }
        }
    }
}

extension Float {
    /// The value of IEEE 754 half-precision bits (subnormals, infinities and NaN included).
    public init(halfPrecisionBits bits: UInt16) {
        let sign = UInt32(bits >> 15) << 31
        let exponent = Int(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa · 2⁻²⁴.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign != 0 ? -magnitude : magnitude
        } else if exponent == 0x1F {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else {
            self = Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
        }
    }
}
