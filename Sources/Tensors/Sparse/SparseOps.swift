import Foundation

/// The graph operations of graph neural networks: a sparse matrix times a dense one, with
/// gradients for the dense side and for the entries' weights (attention), the normalised
/// adjacencies GCN and GraphSAGE propagate with, softmax over each row's entries (GAT's
/// attention over a node's neighbours) and the maximum over them (max aggregation).

extension SparseMatrix {
    /// The row of each entry, in entry order.
    public var entryRows: [Int] {
        var rows = [Int](repeating: 0, count: entryCount)
        for row in 0..<rowCount { for position in rowOffsets[row]..<rowOffsets[row + 1] { rows[position] = row } }
        return rows
    }

    /// The same entries with other values, one per entry.
    public func replacingValues(_ newValues: [Float]) -> SparseMatrix {
        precondition(newValues.count == entryCount, "replacingValues: \(newValues.count) values for \(entryCount) entries")
        // The structure was checked when this matrix was made.
        return try! SparseMatrix(rowCount: rowCount, columnCount: columnCount, rowOffsets: rowOffsets, columns: columns, values: newValues)
    }

    /// The transpose, and for each of its entries the position of the same entry in this
    /// matrix (to carry per-entry weights across).
    public func transposedWithOrder() -> (matrix: SparseMatrix, order: [Int]) {
        var offsets = [Int](repeating: 0, count: columnCount + 1)
        for column in columns { offsets[column + 1] += 1 }
        for column in 0..<columnCount { offsets[column + 1] += offsets[column] }
        var next = offsets
        var (order, transposedColumns) = ([Int](repeating: 0, count: entryCount), [Int](repeating: 0, count: entryCount))
        // Rows are visited in order, so each transposed row's columns come out ascending.
        for row in 0..<rowCount {
            for position in rowOffsets[row]..<rowOffsets[row + 1] {
                let column = columns[position]
                (order[next[column]], transposedColumns[next[column]]) = (position, row)
                next[column] += 1
            }
        }
        let matrix = try! SparseMatrix(rowCount: columnCount, columnCount: rowCount, rowOffsets: offsets, columns: transposedColumns,
                                       values: order.map { values[$0] })
        return (matrix, order)
    }

    /// The transpose `Aᵀ`.
    public func transposed() -> SparseMatrix { transposedWithOrder().matrix }

    /// `A + w·I` on a square matrix: a self-loop of weight `weight` added to each row that has
    /// none (a row that has one keeps its value).
    public func addingSelfLoops(weight: Float = 1) -> SparseMatrix {
        precondition(rowCount == columnCount, "addingSelfLoops: the matrix of shape \(shape) is not square")
        var (offsets, newColumns, newValues) = ([0], [Int](), [Float]())
        newColumns.reserveCapacity(entryCount + rowCount)
        newValues.reserveCapacity(entryCount + rowCount)
        for row in 0..<rowCount {
            let entries = rowOffsets[row]..<rowOffsets[row + 1]
            let split = entries.first { columns[$0] >= row } ?? entries.upperBound
            newColumns += columns[entries.lowerBound..<split]
            newValues += values[entries.lowerBound..<split]
            if split == entries.upperBound || columns[split] != row {
                newColumns.append(row)
                newValues.append(weight)
            }
            newColumns += columns[split..<entries.upperBound]
            newValues += values[split..<entries.upperBound]
            offsets.append(newColumns.count)
        }
        return try! SparseMatrix(rowCount: rowCount, columnCount: columnCount, rowOffsets: offsets, columns: newColumns, values: newValues)
    }

    /// Each row's sum of values (a node's degree, for an adjacency of ones).
    public var rowSums: [Float] {
        (0..<rowCount).map { row in values[rowOffsets[row]..<rowOffsets[row + 1]].reduce(0, +) }
    }

    /// `D^{-1/2} A D^{-1/2}`, `D` the diagonal of row sums (a row summing to zero stays zero).
    /// On `A + I` it is GCN's propagation matrix (Kipf & Welling, 2017).
    public func symmetricallyNormalized() -> SparseMatrix {
        let scale = rowSums.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        let rows = entryRows
        return replacingValues(values.indices.map { values[$0] * scale[rows[$0]] * scale[columns[$0]] })
    }

    /// `D^{-1} A`: each row divided by its sum, so that the product averages a node's
    /// neighbours (GraphSAGE's mean aggregation); a row summing to zero stays zero.
    public func rowNormalized() -> SparseMatrix {
        let sums = rowSums
        var scaled = values
        for row in 0..<rowCount where sums[row] != 0 {
            for position in rowOffsets[row]..<rowOffsets[row + 1] { scaled[position] /= sums[row] }
        }
        return replacingValues(scaled)
    }

    /// GCN's `D̃^{-1/2}(A + I)D̃^{-1/2}`.
    public func gcnNormalized() -> SparseMatrix { addingSelfLoops().symmetricallyNormalized() }
}

/// The shape of a product's dense side: `[C, F]` with one weight per entry, or `[C, H, F]`
/// with `H` weights per entry (one per attention head).
private func denseLayout(_ x: Tensor, heads: Int, columnCount: Int, operation: String) -> (features: Int, shape: [Int]) {
    precondition(x.rank >= 2 && x.shape[0] == columnCount, "\(operation): the dense side of shape \(x.shape) needs \(columnCount) rows")
    if heads > 1 { precondition(x.rank == 3 && x.shape[1] == heads, "\(operation): \(heads) weights per entry need a dense side [\(columnCount), \(heads), F], found \(x.shape)") }
    return (x.count / (columnCount * heads), Array(x.shape.dropFirst()))
}

/// `out[r, h, :] = Σ_e w[e, h] · x[c_e, h, :]` over row `r`'s entries `e`.
private func sparseProduct(_ a: SparseMatrix, weights: UnsafePointer<Float>, heads: Int, _ x: Tensor, features: Int, into result: Tensor) {
    let (source, destination) = (x.storage.pointer, result.storage.pointer)
    let width = heads * features
    a.rowOffsets.withUnsafeBufferPointer { offsets in
        a.columns.withUnsafeBufferPointer { columns in
            parallelFor(a.rowCount, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(width * 4, 1))) { rows in
                for row in rows {
                    let out = destination + row * width
                    out.initialize(repeating: 0, count: width)
                    for position in offsets[row]..<offsets[row + 1] {
                        let input = source + columns[position] * width
                        for head in 0..<heads {
                            let weight = weights[position * heads + head]
                            let (o, i) = (out + head * features, input + head * features)
                            for f in 0..<features { o[f] += weight * i[f] }
                        }
                    }
                }
            }
        }
    }
}

/// `A·X`, a sparse matrix `[R, C]` times a dense `[C, …]`, giving `[R, …]`: each row the
/// sum of the rows of `X` its entries name, weighted by their values (message passing over
/// a graph's edges). Differentiable in `X` (the gradient is `Aᵀ·G`).
public func matmul(_ a: SparseMatrix, _ x: Tensor) -> Tensor {
    let (features, rest) = denseLayout(x, heads: 1, columnCount: a.columnCount, operation: "sparse matmul")
    let result = Tensor(uninitialized: [a.rowCount] + rest)
    a.values.withUnsafeBufferPointer { sparseProduct(a, weights: $0.baseAddress!, heads: 1, x, features: features, into: result) }
    guard Tensor.shouldRecord(x) else { return result }
    return result.recorded(inputs: [x]) { g, _ in [matmul(a.transposed(), g)] }
}

/// `A·X` with the entries' weights given as a tensor `[E]` (or `[E, H]`, one per head, with
/// `X` of shape `[C, H, F]`) in place of `A`'s values: differentiable in both, as GAT needs
/// for its attention coefficients.
public func matmul(_ a: SparseMatrix, weights: Tensor, _ x: Tensor) -> Tensor {
    precondition((weights.rank == 1 || weights.rank == 2) && weights.shape[0] == a.entryCount,
                 "sparse matmul: weights of shape \(weights.shape) for \(a.entryCount) entries")
    let heads = weights.rank == 2 ? weights.shape[1] : 1
    let (features, rest) = denseLayout(x, heads: heads, columnCount: a.columnCount, operation: "sparse matmul")
    let result = Tensor(uninitialized: [a.rowCount] + rest)
    sparseProduct(a, weights: weights.storage.pointer, heads: heads, x, features: features, into: result)
    guard Tensor.shouldRecord(weights) || Tensor.shouldRecord(x) else { return result }
    return result.recorded(inputs: [weights, x]) { g, _ in
        // To X: Aᵀ·G with each entry's weights carried to its transposed position.
        let (transposed, order) = a.transposedWithOrder()
        let carried = Tensor(shape: [a.entryCount, heads]) { buffer in
            for (position, source) in order.enumerated() {
                for head in 0..<heads { buffer[position * heads + head] = weights.storage.pointer[source * heads + head] }
            }
        }
        let gradientX = Tensor(uninitialized: x.shape)
        sparseProduct(transposed, weights: carried.storage.pointer, heads: heads, g, features: features, into: gradientX)
        // To the weights: ⟨g[r_e, h, :], x[c_e, h, :]⟩ per entry and head.
        let gradientWeights = Tensor(uninitialized: weights.shape)
        let (gradient, source, destination) = (g.storage.pointer, x.storage.pointer, gradientWeights.storage.pointer)
        let width = heads * features
        parallelFor(a.rowCount, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(width * 4, 1))) { rows in
            for row in rows {
                for position in a.rowOffsets[row]..<a.rowOffsets[row + 1] {
                    let (outer, inner) = (gradient + row * width, source + a.columns[position] * width)
                    for head in 0..<heads {
                        var sum: Float = 0
                        for f in 0..<features { sum += outer[head * features + f] * inner[head * features + f] }
                        destination[position * heads + head] = sum
                    }
                }
            }
        }
        return [gradientWeights, gradientX]
    }
}

/// Softmax over each row's entries, per head: `scores` `[E]` or `[E, H]` in `structure`'s
/// entry order give weights that sum to 1 over every non-empty row (GAT's attention over a
/// node's neighbours). Differentiable in the scores.
public func edgeSoftmax(_ structure: SparseMatrix, _ scores: Tensor) -> Tensor {
    precondition((scores.rank == 1 || scores.rank == 2) && scores.shape[0] == structure.entryCount,
                 "edgeSoftmax: scores of shape \(scores.shape) for \(structure.entryCount) entries")
    let heads = scores.rank == 2 ? scores.shape[1] : 1
    let result = Tensor(uninitialized: scores.shape)
    let (source, destination) = (scores.storage.pointer, result.storage.pointer)
    parallelFor(structure.rowCount, grain: Swift.max(1, Parallelism.minimumElementsPerThread / 16)) { rows in
        for row in rows {
            let entries = structure.rowOffsets[row]..<structure.rowOffsets[row + 1]
            for head in 0..<heads {
                var largest = -Float.infinity
                for e in entries { largest = Swift.max(largest, source[e * heads + head]) }
                var total: Float = 0
                for e in entries {
                    let value = expf(source[e * heads + head] - largest)
                    destination[e * heads + head] = value
                    total += value
                }
                for e in entries { destination[e * heads + head] /= total }
            }
        }
    }
    guard Tensor.shouldRecord(scores) else { return result }
    return result.recorded(inputs: [scores]) { g, _ in
        // Per row and head: α_e (g_e − Σ_e' α_e' g_e').
        let gradient = Tensor(uninitialized: scores.shape)
        let (incoming, weights, out) = (g.storage.pointer, result.storage.pointer, gradient.storage.pointer)
        parallelFor(structure.rowCount, grain: Swift.max(1, Parallelism.minimumElementsPerThread / 16)) { rows in
            for row in rows {
                let entries = structure.rowOffsets[row]..<structure.rowOffsets[row + 1]
                for head in 0..<heads {
                    var dot: Float = 0
                    for e in entries { dot += weights[e * heads + head] * incoming[e * heads + head] }
                    for e in entries { out[e * heads + head] = weights[e * heads + head] * (incoming[e * heads + head] - dot) }
                }
            }
        }
        return [gradient]
    }
}

/// The elementwise maximum over the rows of `x` `[C, F]` that each row of `structure` names
/// (max aggregation over a node's neighbours), `[R, F]`; a row with no entries gives zeros.
/// The gradient goes to the row that gave each maximum.
public func neighbourMax(_ structure: SparseMatrix, _ x: Tensor) -> Tensor {
    let (features, rest) = denseLayout(x, heads: 1, columnCount: structure.columnCount, operation: "neighbourMax")
    let result = Tensor(uninitialized: [structure.rowCount] + rest)
    var winners = [Int](repeating: -1, count: structure.rowCount * features)
    let (source, destination) = (x.storage.pointer, result.storage.pointer)
    winners.withUnsafeMutableBufferPointer { winner in
        parallelFor(structure.rowCount, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(features * 4, 1))) { rows in
            for row in rows {
                let out = destination + row * features
                let entries = structure.rowOffsets[row]..<structure.rowOffsets[row + 1]
                guard !entries.isEmpty else { out.initialize(repeating: 0, count: features); continue }
                for f in 0..<features {
                    var (best, bestRow) = (-Float.infinity, -1)
                    for e in entries where source[structure.columns[e] * features + f] > best || bestRow < 0 {
                        (best, bestRow) = (source[structure.columns[e] * features + f], structure.columns[e])
                    }
                    out[f] = best
                    winner[row * features + f] = bestRow
                }
            }
        }
    }
    guard Tensor.shouldRecord(x) else { return result }
    return result.recorded(inputs: [x]) { g, _ in
        let gradient = Tensor.zeros(x.shape)
        let (incoming, out) = (g.storage.pointer, gradient.storage.pointer)
        // Serial: two rows may route to the same neighbour.
        for (index, winner) in winners.enumerated() where winner >= 0 {
            out[winner * features + index % features] += incoming[index]
        }
        return [gradient]
    }
}
