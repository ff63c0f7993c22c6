import Tensors

/// A ring of 6 nodes with one chord (0–3), both directions: the small graph the layer tests
/// run on.
let ringWithChord = try! SparseMatrix(rowCount: 6, columnCount: 6,
                                      entries: (0..<6).flatMap { [($0, ($0 + 1) % 6), (($0 + 1) % 6, $0)] } + [(0, 3), (3, 0)])
