import Foundation
import Tensors

/// The IDX format of MNIST, Fashion-MNIST, KMNIST and EMNIST (LeCun et al.): two zero
/// bytes, a type byte, the number of dimensions, each dimension as a big-endian 32-bit
/// integer, then the big-endian data. gzip-compressed files are read directly.
public enum IDXReader {
    /// The file's contents as a tensor of its shape (values unscaled: bytes stay 0…255).
    public static func read(contentsOf url: URL) throws -> Tensor {
        try decode(readBytes(url), source: url.path)
    }

    /// Decodes IDX bytes; `source` names the data in errors.
    public static func decode(_ data: Data, source: String) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(source, "not an IDX file (expected the magic number 0x0000, found \(bytes.prefix(2).map { String($0, radix: 16) }))")
        }
        let elementSize: Int
        switch bytes[2] {
        case 0x08, 0x09: elementSize = 1
        case 0x0B: elementSize = 2
        case 0x0C, 0x0D: elementSize = 4
        case 0x0E: elementSize = 8
        default: throw DataError(source, "unknown IDX element type 0x\(String(bytes[2], radix: 16)) (expected 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E)")
        }
        let rank = Int(bytes[3])
        let dataStart = 4 + 4 * rank
        guard bytes.count >= dataStart else { throw DataError(source, "header of \(rank) dimensions is cut off at \(bytes.count) bytes") }
        let shape = (0..<rank).map { axis -> Int in
            let o = 4 + 4 * axis
            return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
        }
        guard let expected = checkedByteCount(shape: shape, elementSize: elementSize) else {
            throw DataError(source, "header's dimensions \(shape) need more bytes than can be addressed (corrupt header)")
        }
        guard bytes.count - dataStart == expected else {
            throw DataError(source, "holds \(bytes.count - dataStart) data bytes, but its header \(shape) needs \(expected) (truncated or corrupt)")
        }
        let type = bytes[2]
        return bytes.withUnsafeBytes { raw in
            Tensor(shape: shape) { buffer in
                for i in buffer.indices {
                    let o = dataStart + i * elementSize
                    switch type {
                    case 0x08: buffer[i] = Float(raw[o])
                    case 0x09: buffer[i] = Float(Int8(bitPattern: raw[o]))
                    case 0x0B: buffer[i] = Float(Int16(bigEndian: raw.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                    case 0x0C: buffer[i] = Float(Int32(bigEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self)))
                    case 0x0D: buffer[i] = Float(bitPattern: UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                    default: buffer[i] = Float(Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
                    }
                }
            }
        }
    }
}
