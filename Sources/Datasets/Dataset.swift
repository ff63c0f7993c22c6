import Tensors

/// A random-access collection of labeled (or unlabeled) samples.
public protocol Dataset {
    /// The number of samples.
    var count: Int { get }
    /// The shape of one input, without the batch axis.
    var sampleShape: [Int] { get }
    /// The class names (empty for unlabeled or regression data).
    var classNames: [String] { get }
    /// The samples at `indices`, in that order, as one batch.
    func batch(at indices: [Int]) -> Batch
}

extension Dataset {
    /// The sample at `index` (a batch of one).
    public subscript(index: Int) -> Batch { batch(at: [index]) }

    /// Every sample as one batch.
    public func all() -> Batch { batch(at: Array(0..<count)) }
}

/// A data set held in memory as one input tensor `[N, …]`, optional labels `[N]` (or soft
/// labels `[N, C]`, or real-valued targets `[N, …]`), and optional per-sample fields (time,
/// condition, mask, node) and the graph and node features, which every batch carries.
public struct TensorDataset: Dataset {
    /// Every sample, as one batch.
    public let contents: Batch
    public let classNames: [String]

    /// Fails (with the counts) when inputs, labels and fields disagree on the number of
    /// samples.
    public init(inputs: Tensor, labels: Tensor?, classNames: [String] = [], time: Tensor? = nil, condition: Tensor? = nil,
                mask: Tensor? = nil, node: Tensor? = nil, graph: SparseMatrix? = nil, nodeFeatures: Tensor? = nil) throws {
        try self.init(Batch(inputs: inputs, labels: labels, time: time, condition: condition, mask: mask, node: node, graph: graph,
                            nodeFeatures: nodeFeatures),
                      classNames: classNames)
    }

    /// The samples of `contents`, with every field it carries.
    public init(_ contents: Batch, classNames: [String] = []) throws {
        guard contents.inputs.rank >= 1 else {
            throw DataError("TensorDataset", "inputs of shape \(contents.inputs.shape) have no sample axis")
        }
        try contents.validateFields(source: "TensorDataset")
        var contents = contents
        contents.indices = nil
        (self.contents, self.classNames) = (contents, classNames)
    }

    public var inputs: Tensor { contents.inputs }
    public var labels: Tensor? { contents.labels }
    public var count: Int { contents.count }
    public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    public func batch(at indices: [Int]) -> Batch { contents.selecting(rows: indices) }

    /// The number of samples of each class (labels must be class indices).
    public func classHistogram() -> [Int] {
        guard let labels else { return [] }
        var histogram = [Int](repeating: 0, count: Swift.max(classNames.count, (labels.integerScalars.max() ?? -1) + 1))
        for label in labels.integerScalars { histogram[label] += 1 }
        return histogram
    }
}

/// The samples of `base` at `indices` (a split, a labeled fraction, a few-shot subset).
public struct Subset<Base: Dataset>: Dataset {
    public let base: Base
    public let indices: [Int]

    public init(_ base: Base, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "Subset: an index is out of range for \(base.count) samples")
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var sampleShape: [Int] { base.sampleShape }
    public var classNames: [String] { base.classNames }
    public func batch(at positions: [Int]) -> Batch { base.batch(at: positions.map { indices[$0] }) }
}

/// Several data sets of one sample shape, one after the other.
public struct ConcatenatedDataset: Dataset {
    public let parts: [any Dataset]
    private let starts: [Int]

    public init(_ parts: [any Dataset]) throws {
        guard let first = parts.first else { throw DataError("ConcatenatedDataset", "no data sets to concatenate") }
        for part in parts where part.sampleShape != first.sampleShape {
            throw DataError("ConcatenatedDataset", "sample shapes \(parts.map(\.sampleShape)) differ")
        }
        // Each part's first sample says which fields its batches carry: parts that differ
        // would lose a field in every mixed batch.
        let samples = parts.filter { $0.count > 0 }.map { $0.batch(at: [0]) }
        _ = try Batch.concatenating(samples, source: "ConcatenatedDataset")
        self.parts = parts
        var running = 0
        starts = parts.map { part in defer { running += part.count }; return running }
    }

    public var count: Int { parts.reduce(0) { $0 + $1.count } }
    public var sampleShape: [Int] { parts[0].sampleShape }
    public var classNames: [String] { parts[0].classNames }

    public func batch(at indices: [Int]) -> Batch {
        // One batch per part, then one gather back into the requested order.
        var positionsByPart = [[Int]](repeating: [], count: parts.count), localByPart = positionsByPart
        for (position, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "ConcatenatedDataset: index \(index) is out of range for \(count) samples")
            let part = starts.lastIndex { $0 <= index }!
            positionsByPart[part].append(position)
            localByPart[part].append(index - starts[part])
        }
        let used = parts.indices.filter { !localByPart[$0].isEmpty }
        let pieces = used.map { parts[$0].batch(at: localByPart[$0]) }
        var order = [Int](repeating: 0, count: indices.count)
        for (row, position) in used.flatMap({ positionsByPart[$0] }).enumerated() { order[position] = row }
        do {
            return try Batch.concatenating(pieces, source: "ConcatenatedDataset").selecting(rows: order)
        } catch {
            preconditionFailure("ConcatenatedDataset: a part's batches changed the fields they carry: \(error)")
        }
    }
}

extension Dataset {
    /// A subset of the given samples.
    public func subset(_ indices: [Int]) -> Subset<Self> { Subset(self, indices: indices) }

    /// Disjoint random parts in the given proportions (e.g. `[0.8, 0.1, 0.1]` for
    /// train/validation/test); the last part takes the rounding remainder.
    public func randomSplit(fractions: [Double], seed: UInt64) -> [Subset<Self>] {
        precondition(!fractions.isEmpty && fractions.allSatisfy { $0 >= 0 } && abs(fractions.reduce(0, +) - 1) < 1e-6,
                     "randomSplit: fractions \(fractions) must be non-negative and add up to 1")
        var generator = RandomGenerator(seed: seed)
        let order = randomPermutation(count, using: &generator)
        var start = 0
        return fractions.enumerated().map { i, fraction in
            let size = i == fractions.count - 1 ? count - start : Int((fraction * Double(count)).rounded())
            defer { start += size }
            return subset(Array(order[start..<(start + size)]))
        }
    }

    /// A labeled fraction of each class (stratified) and the unlabeled remainder, as in
    /// semi-supervised distillation. Labels must be class indices.
    public func labeledSplit(fraction: Double, seed: UInt64) -> (labeled: Subset<Self>, unlabeled: Subset<Self>) {
        precondition((0...1).contains(fraction), "labeledSplit: fraction \(fraction) is not in [0, 1]")
        var labeled: [Int] = [], unlabeled: [Int] = []
        for (_, members) in indicesByClass(seed: seed) {
            let take = Int((fraction * Double(members.count)).rounded())
            labeled += members.prefix(take)
            unlabeled += members.dropFirst(take)
        }
        return (subset(labeled.sorted()), subset(unlabeled.sorted()))
    }

    /// `perClass` random samples of each class (fewer where a class has fewer).
    public func fewShot(perClass: Int, seed: UInt64) -> Subset<Self> {
        subset(indicesByClass(seed: seed).flatMap { $0.members.prefix(perClass) }.sorted())
    }

    /// The sample indices of each class, shuffled by `seed`, in class order.
    private func indicesByClass(seed: UInt64) -> [(label: Int, members: [Int])] {
        guard let labels = all().labels, labels.rank == 1 else {
            preconditionFailure("per-class splits need integer class labels")
        }
        var generator = RandomGenerator(seed: seed)
        let order = randomPermutation(count, using: &generator)
        let values = labels.integerScalars
        var groups: [Int: [Int]] = [:]
        for index in order { groups[values[index], default: []].append(index) }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }
}
