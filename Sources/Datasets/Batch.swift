import Tensors

/// A batch of samples: inputs `[B, …]`, labels — integer class indices `[B]`, real-valued
/// targets `[B, …]`, or a distribution per sample `[B, C]` after mixup or cutmix (nil for
/// unlabeled data) — and the fields other tasks need beside them.
///
/// The per-sample fields (`time`, `condition`, `mask`, `node`) have the batch axis first and
/// are selected, shuffled and concatenated with the inputs; `graph` and `nodeFeatures` belong
/// to the whole batch and pass through unchanged; `readout` has a row per sample over the
/// shared graph's nodes, selected and concatenated with the samples. Code that changes a batch changes a copy
/// (`replacing(inputs:)`), so no field it does not know about is dropped.
public struct Batch {
    public var inputs: Tensor
    public var labels: Tensor?
    /// The positions in the data set the samples were drawn from, when a `DataLoader` made
    /// the batch (a memory bank indexed by sample, as CRD keeps, needs them; a graph batch
    /// names the nodes it trains on).
    public var indices: [Int]?
    /// A time per sample `[B]`: a diffusion or flow model's `t`.
    public var time: Tensor?
    /// What a conditional model is conditioned on `[B, …]`: a class label, a low-resolution
    /// image, a prompt's tokens.
    public var condition: Tensor?
    /// Which positions count `[B, …]` (1 kept, 0 padding): a token sequence's padding mask.
    public var mask: Tensor?
    /// The node of `graph` each sample is `[B]` (its index, as a number): a node
    /// classification batch's inputs are these nodes' features.
    public var node: Tensor?
    /// The graph the samples are nodes of (its adjacency, `[nodes, nodes]`), shared by the
    /// whole batch.
    public var graph: SparseMatrix?
    /// Every node's features `[nodes, F]`, shared by the whole batch: a graph network reads
    /// the neighbours of the batch's nodes here.
    public var nodeFeatures: Tensor?
    /// For a batch whose samples are whole graphs (graph classification): row `b` of
    /// `[B, nodes]` names the nodes of `graph` whose embeddings sample `b` pools into one
    /// (all of its graph's nodes, or Mirage's tree roots), with `graph` the disjoint union
    /// of the batch's graphs.
    public var readout: SparseMatrix?

    public init(inputs: Tensor, labels: Tensor?, indices: [Int]? = nil, time: Tensor? = nil, condition: Tensor? = nil,
                mask: Tensor? = nil, node: Tensor? = nil, graph: SparseMatrix? = nil, nodeFeatures: Tensor? = nil,
                readout: SparseMatrix? = nil) {
        (self.inputs, self.labels, self.indices) = (inputs, labels, indices)
        (self.time, self.condition, self.mask, self.node) = (time, condition, mask, node)
        (self.graph, self.nodeFeatures, self.readout) = (graph, nodeFeatures, readout)
    }

    /// The number of samples.
    public var count: Int { inputs.shape.first ?? 0 }

    /// The per-sample fields beside the inputs and labels, by name, in a fixed order.
    public var sampleFields: [(name: String, value: Tensor)] {
        [("time", time), ("condition", condition), ("mask", mask), ("node", node)].compactMap { name, value in value.map { (name, $0) } }
    }

    /// The tensor field `name` (`inputs`, `labels`, `time`, `condition`, `mask`, `node` or
    /// `nodeFeatures`), or nil
    /// when the batch does not carry it.
    public func field(_ name: String) -> Tensor? {
        switch name {
        case "inputs": inputs
        case "labels": labels
        case "time": time
        case "condition": condition
        case "mask": mask
        case "node": node
        case "nodeFeatures": nodeFeatures
        default: nil
        }
    }

    /// The tensor field `name`, or an error saying that `reader` (a model's inputs, a loss)
    /// needs it and which fields the batch has.
    public func requiredField(_ name: String, for reader: String) throws -> Tensor {
        guard let value = field(name) else {
            throw DataError(reader, "needs the batch field '\(name)'; the batch has \((["inputs"] + (labels == nil ? [] : ["labels"]) + fieldNames).joined(separator: ", "))")
        }
        return value
    }

    /// The names of the fields this batch carries beyond inputs and labels.
    public var fieldNames: [String] {
        sampleFields.map(\.name) + (graph == nil ? [] : ["graph"]) + (nodeFeatures == nil ? [] : ["nodeFeatures"])
            + (readout == nil ? [] : ["readout"])
    }

    /// This batch with other inputs, every other field kept.
    public func replacing(inputs: Tensor) -> Batch {
        var copy = self
        copy.inputs = inputs
        return copy
    }

    /// This batch with other inputs and labels, every other field kept.
    public func replacing(inputs: Tensor, labels: Tensor?) -> Batch {
        var copy = self
        (copy.inputs, copy.labels) = (inputs, labels)
        return copy
    }

    /// The samples at `rows`, in that order: inputs, labels and every per-sample field
    /// selected alike, with the readout's rows; the graph and node features kept; `indices`
    /// mapped when the batch has them.
    public func selecting(rows: [Int]) -> Batch {
        Batch(inputs: inputs.indexSelect(axis: 0, indices: rows), labels: labels?.indexSelect(axis: 0, indices: rows),
              indices: indices.map { indices in rows.map { indices[$0] } }, time: time?.indexSelect(axis: 0, indices: rows),
              condition: condition?.indexSelect(axis: 0, indices: rows), mask: mask?.indexSelect(axis: 0, indices: rows),
              node: node?.indexSelect(axis: 0, indices: rows), graph: graph, nodeFeatures: nodeFeatures,
              readout: readout?.selectingRows(rows))
    }

    /// The batches one after another. Labels and each per-sample field are kept when every
    /// batch has them; a field some batches have and others lack is an error (it would be
    /// dropped silently). The graph and node features must be the same in all; their readouts'
    /// rows are stacked.
    public static func concatenating(_ batches: [Batch], source: String = "batches") throws -> Batch {
        guard let first = batches.first else { throw DataError(source, "no batches to concatenate") }
        func joined(_ name: String, _ field: (Batch) -> Tensor?) throws -> Tensor? {
            let present = batches.compactMap(field)
            if present.isEmpty { return nil }
            guard present.count == batches.count else {
                throw DataError(source, "\(present.count) of \(batches.count) parts carry '\(name)' and the others do not")
            }
            return concatenate(present)
        }
        let (time, condition, mask) = (try joined("time", \.time), try joined("condition", \.condition), try joined("mask", \.mask))
        let node = try joined("node", \.node)
        for batch in batches.dropFirst() where batch.graph != first.graph || !sameValues(batch.nodeFeatures, first.nodeFeatures) {
            throw DataError(source, "the parts are on different graphs")
        }
        let labels = batches.allSatisfy { $0.labels != nil } ? concatenate(batches.map { $0.labels! }) : nil
        let readouts = batches.compactMap(\.readout)
        guard readouts.isEmpty || readouts.count == batches.count else {
            throw DataError(source, "\(readouts.count) of \(batches.count) parts carry 'readout' and the others do not")
        }
        return Batch(inputs: concatenate(batches.map(\.inputs)), labels: labels, time: time, condition: condition, mask: mask,
                     node: node, graph: first.graph, nodeFeatures: first.nodeFeatures,
                     readout: readouts.isEmpty ? nil : SparseMatrix(stackingRowsOf: readouts))
    }

    /// Checks that every per-sample field has one entry per input sample, naming the field
    /// and both counts when one does not.
    public func validateFields(source: String) throws {
        if let labels, labels.shape.first != count {
            throw DataError(source, "\(count) inputs but labels of shape \(labels.shape)")
        }
        if let readout {
            guard readout.rowCount == count else { throw DataError(source, "\(count) inputs but a readout of \(readout.rowCount) rows") }
            guard let graph, readout.columnCount == graph.rowCount else {
                throw DataError(source, "a readout over \(readout.columnCount) nodes needs a graph of as many nodes (the batch's is \(graph.map { "\($0.rowCount)" } ?? "absent"))")
            }
        }
        for (name, value) in sampleFields where value.rank == 0 || value.shape[0] != count {
            throw DataError(source, "\(count) inputs but '\(name)' of shape \(value.shape) (expected \(count) along the first axis)")
        }
    }
}

/// Whether two optional tensors are both absent, or of one shape with equal values.
private func sameValues(_ first: Tensor?, _ second: Tensor?) -> Bool {
    switch (first, second) {
    case (nil, nil): true
    case let (first?, second?): first.shape == second.shape && first.scalars == second.scalars
    default: false
    }
}
