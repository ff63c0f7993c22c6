import Foundation
import Tensors

/// NumPy's `.npy` format (versions 1–3) and `.npz` archives of them (stored or deflated).
/// Every numeric dtype converts to Float32; Fortran-ordered arrays are reordered.
public enum NPYReader {
    /// The array in a `.npy` file.
    public static func read(contentsOf url: URL) throws -> Tensor {
        try decode(readBytes(url), source: url.path)
    }

    /// The arrays in a `.npz` archive, by name without the `.npy` suffix.
    public static func readArchive(contentsOf url: URL) throws -> [String: Tensor] {
        guard FileManager.default.fileExists(atPath: url.path) else { throw DataError(url.path, "file not found") }
        let data = try Data(contentsOf: url)
        var arrays: [String: Tensor] = [:]
        for entry in try ZipArchive.entries(of: data, source: url.path) where entry.name.hasSuffix(".npy") {
            let name = String(entry.name.dropLast(4))
            arrays[name] = try decode(entry.contents, source: "\(url.path)[\(entry.name)]")
        }
        return arrays
    }

    /// Decodes `.npy` bytes; `source` names the data in errors.
    public static func decode(_ data: Data, source: String) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw DataError(source, "not an .npy file (expected the magic string \\x93NUMPY)")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: (headerLength, headerStart) = (Int(bytes[8]) | Int(bytes[9]) << 8, 10)
        case 2, 3:
            guard bytes.count >= 12 else { throw DataError(source, "header is cut off") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default: throw DataError(source, "unsupported .npy version \(major) (expected 1, 2 or 3)")
        }
        guard bytes.count >= headerStart + headerLength,
            let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1)
        else { throw DataError(source, "header of \(headerLength) bytes is cut off") }
        let (descr, fortranOrder, shape) = try parseHeader(header, source: source)
        guard let type = ElementType(descr) else {
            throw DataError(source, "unsupported dtype '\(descr)' (expected a bool, integer or float type)")
        }
        guard let expected = checkedByteCount(shape: shape, elementSize: type.size) else {
            throw DataError(source, "shape \(shape) of '\(descr)' needs more bytes than can be addressed (corrupt header)")
        }
        let dataStart = headerStart + headerLength
        guard bytes.count - dataStart == expected else {
            throw DataError(source, "holds \(bytes.count - dataStart) data bytes, but shape \(shape) of '\(descr)' needs \(expected) (truncated or corrupt)")
        }
        let stored = fortranOrder ? Array(shape.reversed()) : shape
        let tensor = bytes.withUnsafeBytes { raw in
            Tensor(shape: stored) { buffer in
                for i in buffer.indices { buffer[i] = type.load(raw, at: dataStart + i * type.size) }
            }
        }
        // Fortran order is the row-major layout of the reversed shape; reverse the axes back.
        return fortranOrder ? tensor.permuted(Array((0..<shape.count).reversed())) : tensor
    }

    /// The `descr`, `fortran_order` and `shape` of a header such as
    /// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
    private static func parseHeader(_ header: String, source: String) throws -> (String, Bool, [Int]) {
        let shown = header.trimmingCharacters(in: .whitespacesAndNewlines).prefix(200)
        func value(of key: String) -> Substring? {
            guard let keyRange = header.range(of: "'\(key)':") else { return nil }
            return header[keyRange.upperBound...].drop { $0 == " " }
        }
        guard let descrText = value(of: "descr"), descrText.first == "'",
            let descrEnd = descrText.dropFirst().firstIndex(of: "'")
        else { throw DataError(source, "header lacks 'descr': \(shown)") }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<descrEnd])
        guard let fortranText = value(of: "fortran_order") else { throw DataError(source, "header lacks 'fortran_order': \(shown)") }
        let fortran = fortranText.hasPrefix("True")
        guard let shapeText = value(of: "shape"), shapeText.first == "(", let close = shapeText.firstIndex(of: ")") else {
            throw DataError(source, "header lacks 'shape': \(shown)")
        }
        let dims = shapeText[shapeText.index(after: shapeText.startIndex)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dims.map { text -> Int in
            guard let n = Int(text.hasSuffix("L") ? String(text.dropLast()) : text), n >= 0 else {
                throw DataError(source, "shape entry '\(text)' is not a size")
            }
            return n
        }
        return (descr, fortran, shape)
    }

    /// A NumPy dtype by its `descr` (`<f4`, `|u1`, `>i8`, …).
    private struct ElementType {
        let kind: Character
        let size: Int
        let bigEndian: Bool

        init?(_ descr: String) {
            guard descr.count >= 3, let size = Int(descr.dropFirst(2)), let order = descr.first, "<>|=".contains(order) else { return nil }
            kind = descr[descr.index(after: descr.startIndex)]
            self.size = size
            bigEndian = order == ">"
            switch (kind, size) {
            case ("f", 2), ("f", 4), ("f", 8), ("i", 1), ("i", 2), ("i", 4), ("i", 8), ("u", 1), ("u", 2), ("u", 4), ("u", 8), ("b", 1): break
            default: return nil
            }
        }

        func load(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Float {
            func bits<T: FixedWidthInteger>(_: T.Type) -> T {
                let v = raw.loadUnaligned(fromByteOffset: offset, as: T.self)
                return bigEndian ? T(bigEndian: v) : T(littleEndian: v)
            }
            switch (kind, size) {
            case ("f", 2): return Float(halfPrecisionBits: bits(UInt16.self))
            case ("f", 4): return Float(bitPattern: bits(UInt32.self))
            case ("f", 8): return Float(Double(bitPattern: bits(UInt64.self)))
            case ("i", 1): return Float(Int8(bitPattern: raw[offset]))
            case ("i", 2): return Float(bits(Int16.self))
            case ("i", 4): return Float(bits(Int32.self))
            case ("i", 8): return Float(bits(Int64.self))
            case ("u", 2): return Float(bits(UInt16.self))
            case ("u", 4): return Float(bits(UInt32.self))
            case ("u", 8): return Float(bits(UInt64.self))
            default: return Float(raw[offset])  // u1, b1
            }
        }
    }
}
