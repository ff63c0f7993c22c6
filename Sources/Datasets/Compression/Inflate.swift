import CZlib
import Foundation

/// Decompression through the system zlib (no hand-written inflate).
enum Inflate {
    /// The container around the deflate stream.
    enum Wrapper {
        /// gzip or zlib, detected from the header (gzip members may be concatenated).
        case gzipOrZlib
        /// A raw deflate stream, as inside a zip entry.
        case raw
    }

    /// Whether `bytes` begin with the gzip magic number.
    static func isGzip(_ bytes: Data) -> Bool {
        bytes.count >= 2 && bytes[bytes.startIndex] == 0x1F && bytes[bytes.startIndex + 1] == 0x8B
    }

    /// The most bytes one input may inflate to: half the machine's memory, so that a
    /// "zip bomb" is refused instead of exhausting it.
    static let outputLimit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 2)

    /// The decompressed bytes; `source` names the file in errors. `expectedSize` (from an
    /// archive's directory, so not trusted) sizes the first buffer and bounds the output.
    static func decompress(_ input: Data, wrapper: Wrapper, source: String, expectedSize: Int? = nil) throws -> Data {
        let limit = Swift.min(outputLimit, expectedSize ?? .max)
        var stream = z_stream()
        let windowBits: Int32 = wrapper == .raw ? -15 : 15 + 32
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(source, "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }
        var output = Data(count: Swift.min(Swift.max(expectedSize ?? input.count * 4, 1024), 1 << 26))
        var produced = 0
        try input.withUnsafeBytes { (inputBuffer: UnsafeRawBufferPointer) in
            stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(input.count)
            while true {
                if produced == output.count {
                    guard produced <= limit else {
                        throw DataError(source, expectedSize == nil
                            ? "inflates to more than \(limit) bytes, half this machine's memory (a corrupt or hostile file?)"
                            : "inflates to more than the \(limit) bytes its archive directory gives")
                    }
                    output.count = Swift.min(output.count * 2, limit + 1)
                }
                let status: Int32 = output.withUnsafeMutableBytes { outputBuffer in
                    stream.next_out = outputBuffer.bindMemory(to: Bytef.self).baseAddress! + produced
                    stream.avail_out = uInt(outputBuffer.count - produced)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    produced = outputBuffer.count - Int(stream.avail_out)
                    return status
                }
                switch status {
                case Z_STREAM_END:
                    // Another gzip member may follow.
                    if wrapper == .gzipOrZlib && stream.avail_in > 0 {
                        guard inflateReset(&stream) == Z_OK else { throw DataError(source, "corrupt compressed data") }
                        continue
                    }
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { throw DataError(source, "compressed data ends early (truncated file?)") }
                    continue
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw DataError(source, "corrupt compressed data (\(message))")
                }
            }
        }
        output.count = produced
        return output
    }
}
