/// A sparse matrix in compressed sparse rows (CSR), as `scipy.sparse.csr_matrix` and
/// PyTorch's `sparse_csr_tensor` store it: row `i`'s entries are at positions
/// `rowOffsets[i] ..< rowOffsets[i + 1]` of `columns` and `values`.
///
/// A graph's adjacency is one (a batch carries it as `Batch.graph`). The storage is three
/// arrays, so a copy shares them until one is changed.
public struct SparseMatrix: Equatable, Sendable {
    public let rowCount: Int
    public let columnCount: Int
    /// `rowCount + 1` non-decreasing offsets, from 0 to the number of entries.
    public let rowOffsets: [Int]
    /// The column of each entry, ascending within a row.
    public let columns: [Int]
    /// The value of each entry.
    public let values: [Float]

    /// Checks the arrays and fails with the first thing wrong: the offsets' count, start,
    /// order and end; each column's range and order within its row; the values' count.
    /// Data read from files enters here, so nothing later indexes out of range.
    public init(rowCount: Int, columnCount: Int, rowOffsets: [Int], columns: [Int], values: [Float]) throws {
        func fail(_ reason: String) -> SparseMatrixError { SparseMatrixError(reason: reason) }
        guard rowCount >= 0, columnCount >= 0 else { throw fail("shape [\(rowCount), \(columnCount)] has a negative size") }
        guard rowOffsets.count == rowCount + 1 else {
            throw fail("\(rowOffsets.count) row offsets for \(rowCount) rows (expected \(rowCount + 1))")
        }
        guard rowOffsets.first == 0, rowOffsets.last == columns.count else {
            throw fail("row offsets run from \(rowOffsets.first ?? -1) to \(rowOffsets.last ?? -1); expected 0 to \(columns.count) (the number of entries)")
        }
        guard values.count == columns.count else { throw fail("\(values.count) values for \(columns.count) entries") }
        // Monotone offsets from 0 to the count keep every row's range inside the arrays.
        for row in 0..<rowCount where rowOffsets[row] > rowOffsets[row + 1] {
            throw fail("row offsets decrease at row \(row) (\(rowOffsets[row]) then \(rowOffsets[row + 1]))")
        }
        for row in 0..<rowCount {
            let (start, end) = (rowOffsets[row], rowOffsets[row + 1])
            var previous = -1
            for column in columns[start..<end] {
                guard column >= 0 && column < columnCount else {
                    throw fail("row \(row) has column \(column), outside 0..<\(columnCount)")
                }
                guard column > previous else { throw fail("row \(row)'s columns are not strictly ascending (\(previous) then \(column))") }
                previous = column
            }
        }
        (self.rowCount, self.columnCount, self.rowOffsets, self.columns, self.values) = (rowCount, columnCount, rowOffsets, columns, values)
    }

    /// CSR arrays whose columns may come in any order within a row (SciPy does not keep
    /// them sorted): each row's entries are sorted by column, then checked as by
    /// `init(rowCount:columnCount:rowOffsets:columns:values:)`.
    public init(unsortedRowCount rowCount: Int, columnCount: Int, rowOffsets: [Int], columns: [Int], values: [Float]) throws {
        var (sortedColumns, sortedValues) = (columns, values)
        // Only offsets that stay inside the arrays are sorted between; anything else is left
        // for the checking initializer to name.
        let ordered = rowCount >= 0 && rowOffsets.count == rowCount + 1 && rowOffsets.first == 0 && rowOffsets.last == columns.count
            && values.count == columns.count && zip(rowOffsets, rowOffsets.dropFirst()).allSatisfy { $0 <= $1 }
        if ordered {
            for row in 0..<rowCount where rowOffsets[row + 1] - rowOffsets[row] > 1 {
                let range = rowOffsets[row]..<rowOffsets[row + 1]
                let order = range.sorted { columns[$0] < columns[$1] }
                for (position, source) in zip(range, order) { (sortedColumns[position], sortedValues[position]) = (columns[source], values[source]) }
            }
        }
        try self.init(rowCount: rowCount, columnCount: columnCount, rowOffsets: rowOffsets, columns: sortedColumns, values: sortedValues)
    }

    /// A matrix from `(row, column)` pairs, each with value 1 unless `values` are given (an
    /// edge list). Pairs may come in any order; a repeated pair is an error.
    public init(rowCount: Int, columnCount: Int, entries: [(row: Int, column: Int)], values: [Float]? = nil) throws {
        if let values, values.count != entries.count {
            throw SparseMatrixError(reason: "\(values.count) values for \(entries.count) entries")
        }
        for (row, column) in entries where !(0..<rowCount).contains(row) || !(0..<max(columnCount, 0)).contains(column) {
            throw SparseMatrixError(reason: "entry (\(row), \(column)) is outside the shape [\(rowCount), \(columnCount)]")
        }
        let order = entries.indices.sorted { (entries[$0].row, entries[$0].column) < (entries[$1].row, entries[$1].column) }
        var offsets = [Int](repeating: 0, count: max(rowCount, 0) + 1)
        for (row, _) in entries { offsets[row + 1] += 1 }
        for row in 0..<max(rowCount, 0) { offsets[row + 1] += offsets[row] }
        for (previous, next) in zip(order, order.dropFirst()) where entries[previous] == entries[next] {
            throw SparseMatrixError(reason: "entry (\(entries[next].row), \(entries[next].column)) is given twice")
        }
        try self.init(rowCount: rowCount, columnCount: columnCount, rowOffsets: offsets, columns: order.map { entries[$0].column },
                      values: order.map { values?[$0] ?? 1 })
    }

    /// The number of stored entries.
    public var entryCount: Int { columns.count }

    /// The shape, `[rows, columns]`.
    public var shape: [Int] { [rowCount, columnCount] }

    /// The columns of row `row`'s entries (a node's neighbours).
    public func columns(inRow row: Int) -> ArraySlice<Int> { columns[rowOffsets[row]..<rowOffsets[row + 1]] }

    /// The matrix as a dense tensor `[rows, columns]`, zeros where no entry is stored.
    public func dense() -> Tensor {
        var scalars = [Float](repeating: 0, count: rowCount * columnCount)
        for row in 0..<rowCount {
            for position in rowOffsets[row]..<rowOffsets[row + 1] { scalars[row * columnCount + columns[position]] = values[position] }
        }
        return Tensor(scalars, shape: [rowCount, columnCount])
    }
}

extension SparseMatrix {
    /// The rows at `rows`, in that order (a row may repeat), over the same columns.
    public func selectingRows(_ rows: [Int]) -> SparseMatrix {
        var (offsets, newColumns, newValues) = ([0], [Int](), [Float]())
        offsets.reserveCapacity(rows.count + 1)
        for row in rows {
            precondition((0..<rowCount).contains(row), "selectingRows: row \(row) is outside 0..<\(rowCount)")
            let entries = rowOffsets[row]..<rowOffsets[row + 1]
            newColumns += columns[entries]
            newValues += values[entries]
            offsets.append(newColumns.count)
        }
        // Each row was checked when this matrix was made.
        return try! SparseMatrix(rowCount: rows.count, columnCount: columnCount, rowOffsets: offsets, columns: newColumns, values: newValues)
    }

    /// The rows of `parts` one after another; every part has the same number of columns.
    public init(stackingRowsOf parts: [SparseMatrix]) {
        let columnCount = parts.first?.columnCount ?? 0
        var (offsets, columns, values) = ([0], [Int](), [Float]())
        for part in parts {
            precondition(part.columnCount == columnCount, "stacking rows: a part has \(part.columnCount) columns, another \(columnCount)")
            offsets += part.rowOffsets.dropFirst().map { $0 + columns.count }
            columns += part.columns
            values += part.values
        }
        try! self.init(rowCount: offsets.count - 1, columnCount: columnCount, rowOffsets: offsets, columns: columns, values: values)
    }

    /// The block-diagonal matrix of `blocks` (the adjacency of a disjoint union of graphs):
    /// block `k`'s rows and columns follow those of the blocks before it.
    public init(blockDiagonal blocks: [SparseMatrix]) {
        var (offsets, columns, values) = ([0], [Int](), [Float]())
        var columnStart = 0
        for block in blocks {
            offsets += block.rowOffsets.dropFirst().map { $0 + columns.count }
            columns += block.columns.map { $0 + columnStart }
            values += block.values
            columnStart += block.columnCount
        }
        try! self.init(rowCount: offsets.count - 1, columnCount: columnStart, rowOffsets: offsets, columns: columns, values: values)
    }
}

/// CSR arrays that do not form a matrix, and why.
public struct SparseMatrixError: Error, CustomStringConvertible, Equatable {
    public let reason: String
    public var description: String { "sparse matrix: \(reason)" }
}
