import Tensors

extension Batch {
    /// The label that marks a sample as unlabeled inside a labeled batch (semi-supervised
    /// data): losses that need labels skip such samples, soft-target losses use them.
    public static let unlabeledMarker: Float = -1
}

/// The inputs of `base` without its labels: batches carry no labels at all, or — with
/// `marked` — the label `Batch.unlabeledMarker` for every sample, so that the samples can
/// share batches with labeled ones.
public struct UnlabeledDataset<Base: Dataset>: Dataset {
    public let base: Base
    public let marked: Bool

    public init(_ base: Base, marked: Bool = false) {
        self.base = base
        self.marked = marked
    }

    public var count: Int { base.count }
    public var sampleShape: [Int] { base.sampleShape }
    public var classNames: [String] { base.classNames }

    public func batch(at indices: [Int]) -> Batch {
        var batch = base.batch(at: indices)
        batch.labels = marked ? Tensor.full([indices.count], value: Batch.unlabeledMarker) : nil
        return batch
    }
}

extension Dataset {
    /// The same inputs with no labels (a transfer set for soft-target distillation).
    public func withoutLabels() -> UnlabeledDataset<Self> { UnlabeledDataset(self) }

    /// This (labeled) data followed by `unlabeled`, whose samples are labeled
    /// `Batch.unlabeledMarker`: one data set for a run that learns from the labels where
    /// there are some and from the teacher everywhere (Hinton et al.'s transfer set, SSLD).
    public func joined<Unlabeled: Dataset>(unlabeled: Unlabeled) throws -> ConcatenatedDataset {
        try ConcatenatedDataset([self, UnlabeledDataset(unlabeled, marked: true)])
    }
}
