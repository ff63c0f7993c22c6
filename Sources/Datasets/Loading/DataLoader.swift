import Dispatch
import Tensors

/// Batches of a data set for training: seeded shuffling, optional drop-last, a transform,
/// and the next batch prepared on a background thread while the current one trains.
///
/// Every epoch's order and every batch's augmentation come from generators derived from
/// `(seed, epoch, batch index)`, so the same seed gives the same batches however the
/// threads are scheduled, and a run resumed at epoch `e` sees what it would have seen.
public struct DataLoader<Source: Dataset> {
    public let dataset: Source
    public let batchSize: Int
    public let shuffle: Bool
    public let dropLast: Bool
    public let seed: UInt64
    public let transform: (any BatchTransform)?
    /// Whether the next batch is prepared in the background.
    public let prefetch: Bool

    public init(
        _ dataset: Source, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false, seed: UInt64 = 0,
        transform: (any BatchTransform)? = nil, prefetch: Bool = true
    ) {
        precondition(batchSize >= 1, "DataLoader: batchSize \(batchSize) must be positive")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        self.transform = transform
        self.prefetch = prefetch
    }

    /// The number of batches in an epoch.
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// The sample indices of each batch of `epoch`.
    public func batchIndices(epoch: Int) -> [[Int]] {
        var order = Array(0..<dataset.count)
        if shuffle {
            var generator = RandomGenerator(seed: mix(seed, UInt64(epoch), 0x5348_5546))
            order = randomPermutation(dataset.count, using: &generator)
        }
        return (0..<batchesPerEpoch).map { b in Array(order[(b * batchSize)..<Swift.min((b + 1) * batchSize, order.count)]) }
    }

    /// The batches of `epoch`, in order.
    public func batches(epoch: Int) -> EpochBatches {
        let plan = batchIndices(epoch: epoch)
        let (dataset, transform, seed) = (self.dataset, self.transform, self.seed)
        let make: @Sendable (Int) -> Batch = { [dataset] b in
            var batch = dataset.batch(at: plan[b])
            if let transform {
                var generator = RandomGenerator(seed: mix(seed, UInt64(epoch), UInt64(b) &+ 1))
                batch = transform(batch, using: &generator)
            }
            batch.indices = plan[b]
            return batch
        }
        return EpochBatches(count: plan.count, make: make, prefetch: prefetch)
    }

    /// One epoch's batches; iterating prepares batch `i + 1` in the background while the
    /// caller works on batch `i`.
    public struct EpochBatches: Sequence, IteratorProtocol {
        let count: Int
        let make: @Sendable (Int) -> Batch
        let prefetch: Bool
        private var nextIndex = 0
        private var pending: PendingBatch?

        init(count: Int, make: @escaping @Sendable (Int) -> Batch, prefetch: Bool) {
            self.count = count
            self.make = make
            self.prefetch = prefetch
        }

        public mutating func next() -> Batch? {
            guard nextIndex < count else { return nil }
            let current = pending ?? PendingBatch(index: nextIndex, make: make, background: false)
            nextIndex += 1
            pending = prefetch && nextIndex < count ? PendingBatch(index: nextIndex, make: make, background: true) : nil
            return current.value()
        }
    }
}

/// A batch being made, on a background queue or on demand.
final class PendingBatch: @unchecked Sendable {
    private static let queue = DispatchQueue(label: "distillery.dataloader", qos: .userInitiated)
    private let done = DispatchSemaphore(value: 0)
    private var result: Batch?
    private let background: Bool
    private let index: Int
    private let make: @Sendable (Int) -> Batch

    init(index: Int, make: @escaping @Sendable (Int) -> Batch, background: Bool) {
        self.index = index
        self.make = make
        self.background = background
        if background {
            Self.queue.async { [self] in
                result = make(index)
                done.signal()
            }
        }
    }

    func value() -> Batch {
        if background {
            done.wait()
            return result!
        }
        return make(index)
    }
}

/// A 64-bit mix of three words (SplitMix64 finaliser), for deriving independent seeds.
func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 {
    var z = a &+ 0x9E37_79B9_7F4A_7C15 &* (b &+ 1) &+ 0xBF58_476D_1CE4_E5B9 &* (c &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
