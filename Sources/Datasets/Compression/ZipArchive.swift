import Foundation

/// Just enough of the zip format to read `.npz` archives: the central directory, then each
/// entry's local header and its data, stored or deflated (inflated by zlib).
enum ZipArchive {
    struct Entry {
        let name: String
        let contents: Data
    }

    static func entries(of data: Data, source: String) throws -> [Entry] {
        let bytes = [UInt8](data)
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
        guard bytes.count >= 22,
            let end = stride(from: bytes.count - 22, through: Swift.max(0, bytes.count - 65_557), by: -1).first(where: { u32($0) == 0x0605_4B50 })
        else { throw DataError(source, "not a zip archive (no end-of-central-directory record; truncated?)") }
        let entryCount = u16(end + 10)
        var offset = u32(end + 16)
        var entries: [Entry] = []
        for _ in 0..<entryCount {
            guard offset + 46 <= bytes.count, u32(offset) == 0x0201_4B50 else { throw DataError(source, "corrupt zip central directory") }
            let method = u16(offset + 10)
            let compressedSize = u32(offset + 20), size = u32(offset + 24)
            let nameLength = u16(offset + 28), extraLength = u16(offset + 30), commentLength = u16(offset + 32)
            let localHeader = u32(offset + 42)
            guard offset + 46 + nameLength <= bytes.count else { throw DataError(source, "corrupt zip central directory") }
            let name = String(decoding: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self)
            guard localHeader + 30 <= bytes.count, u32(localHeader) == 0x0403_4B50 else {
                throw DataError(source, "entry '\(name)' has no local header (truncated?)")
            }
            let dataStart = localHeader + 30 + u16(localHeader + 26) + u16(localHeader + 28)
            guard dataStart + compressedSize <= bytes.count else { throw DataError(source, "entry '\(name)' is cut off (truncated file?)") }
            let raw = data.subdata(in: (data.startIndex + dataStart)..<(data.startIndex + dataStart + compressedSize))
            let contents: Data
            switch method {
            case 0: contents = raw
            case 8: contents = try Inflate.decompress(raw, wrapper: .raw, source: "\(source)[\(name)]", expectedSize: size)
            default: throw DataError(source, "entry '\(name)' uses zip method \(method) (expected stored or deflate)")
            }
            guard contents.count == size else { throw DataError(source, "entry '\(name)' inflates to \(contents.count) bytes, expected \(size)") }
            entries.append(Entry(name: name, contents: contents))
            offset += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }
}
