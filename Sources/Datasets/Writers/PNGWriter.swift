import CZlib
import Foundation
import Tensors

/// PNG images (8-bit greyscale or RGB), compressed with the zlib the data readers link.
public enum PNGWriter {
    /// The PNG bytes of `image` (`[1, H, W]` greyscale or `[3, H, W]` colour), its values
    /// clipped to `range` and scaled to 0…255.
    public static func encode(_ image: Tensor, range: ClosedRange<Float> = 0...1) -> Data {
        precondition(image.rank == 3 && [1, 3].contains(image.shape[0]), "PNGWriter: a [1 or 3, H, W] image, found \(image.shape)")
        let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
        let values = image.scalars
        // Each row: filter type 0 (none), then the pixels, channels interleaved.
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + width * channels))
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width {
                for c in 0..<channels {
                    let value = (values[(c * height + y) * width + x] - range.lowerBound) / (range.upperBound - range.lowerBound)
                    raw.append(UInt8((min(max(value.isNaN ? 0 : value, 0), 1) * 255).rounded()))
                }
            }
        }
        var header = Data()
        for field in [UInt32(width), UInt32(height)] { header.append(contentsOf: bigEndian(field)) }
        header.append(contentsOf: [8, channels == 1 ? 0 : 2, 0, 0, 0])  // depth, colour type, compression, filter, interlace
        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        png.append(chunk("IHDR", header))
        png.append(chunk("IDAT", deflate(raw)))
        png.append(chunk("IEND", Data()))
        return png
    }

    /// Writes `image` to `url` atomically.
    public static func write(_ image: Tensor, range: ClosedRange<Float> = 0...1, to url: URL) throws {
        try AtomicFile.write(encode(image, range: range), to: url)
    }

    /// A grid of the images `[N, C, H, W]`, `columns` across, one pixel of the range's low
    /// end between them: `[C, rows·(H + 1) − 1, columns·(W + 1) − 1]`.
    public static func grid(_ images: Tensor, columns: Int, background: Float = 0) -> Tensor {
        precondition(images.rank == 4 && columns >= 1, "PNGWriter.grid: [N, C, H, W] images and at least one column")
        let (count, channels, height, width) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        let rows = max(1, (count + columns - 1) / columns)
        let (gridHeight, gridWidth) = (rows * (height + 1) - 1, columns * (width + 1) - 1)
        var values = [Float](repeating: background, count: channels * gridHeight * gridWidth)
        let source = images.scalars
        for n in 0..<count {
            let (top, left) = ((n / columns) * (height + 1), (n % columns) * (width + 1))
            for c in 0..<channels {
                for y in 0..<height {
                    for x in 0..<width {
                        values[(c * gridHeight + top + y) * gridWidth + left + x] = source[((n * channels + c) * height + y) * width + x]
                    }
                }
            }
        }
        return Tensor(values, shape: [channels, gridHeight, gridWidth])
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)] }

    /// A chunk: length, type, data, and the CRC-32 of type and data.
    private static func chunk(_ type: String, _ data: Data) -> Data {
        var body = Data(type.utf8)
        body.append(data)
        let checksum = body.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
        var chunk = Data(bigEndian(UInt32(data.count)))
        chunk.append(body)
        chunk.append(contentsOf: bigEndian(checksum))
        return chunk
    }

    /// The zlib stream of `bytes` (PNG's IDAT holds exactly that).
    private static func deflate(_ bytes: [UInt8]) -> Data {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&output, &length, bytes, uLong(bytes.count), Z_BEST_COMPRESSION)
        precondition(status == Z_OK, "PNGWriter: zlib's compress2 failed (\(status))")
        return Data(output.prefix(Int(length)))
    }
}
