import Foundation
import Tensors

/// The binary version of CIFAR-10 and CIFAR-100 (Krizhevsky, 2009): fixed-size records of
/// label byte(s) followed by a 32×32 image stored channel by channel (R, G, B).
public enum CIFARReader {
    /// Which CIFAR the file holds.
    public enum Variant: Sendable {
        /// One label byte per record.
        case cifar10
        /// A coarse and a fine label byte per record; `fine` picks which one is the label.
        case cifar100(fine: Bool)

        var labelBytes: Int {
            switch self {
            case .cifar10: return 1
            case .cifar100: return 2
            }
        }
    }

    /// Images `[N, 3, 32, 32]` (bytes 0…255) and labels `[N]` from one batch file.
    public static func read(contentsOf url: URL, variant: Variant = .cifar10) throws -> (images: Tensor, labels: Tensor) {
        try decode(readBytes(url), variant: variant, source: url.path)
    }

    /// Decodes CIFAR batch bytes; `source` names the data in errors.
    public static func decode(_ data: Data, variant: Variant, source: String) throws -> (images: Tensor, labels: Tensor) {
        let imageBytes = 3 * 32 * 32
        let recordBytes = variant.labelBytes + imageBytes
        guard !data.isEmpty, data.count % recordBytes == 0 else {
            throw DataError(source, "is \(data.count) bytes, not a whole number of \(recordBytes)-byte CIFAR records (truncated, or the wrong variant?)")
        }
        let count = data.count / recordBytes
        let labelOffset: Int
        if case .cifar100(let fine) = variant { labelOffset = fine ? 1 : 0 } else { labelOffset = 0 }
        let bytes = [UInt8](data)
        let images = Tensor(shape: [count, 3, 32, 32]) { buffer in
            for r in 0..<count {
                let start = r * recordBytes + variant.labelBytes
                for p in 0..<imageBytes { buffer[r * imageBytes + p] = Float(bytes[start + p]) }
            }
        }
        let labels = Tensor(shape: [count]) { buffer in
            for r in 0..<count { buffer[r] = Float(bytes[r * recordBytes + labelOffset]) }
        }
        return (images, labels)
    }
}
