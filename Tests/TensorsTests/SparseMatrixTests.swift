import Tensors
import XCTest

final class SparseMatrixTests: XCTestCase {
    func testAnEdgeListInAnyOrderGivesSortedRows() throws {
        let matrix = try SparseMatrix(rowCount: 3, columnCount: 4, entries: [(2, 3), (0, 2), (2, 0), (0, 1)], values: [5, 6, 7, 8])
        XCTAssertEqual(matrix.rowOffsets, [0, 2, 2, 4])
        XCTAssertEqual(matrix.columns, [1, 2, 0, 3])
        XCTAssertEqual(matrix.values, [8, 6, 7, 5])
        XCTAssertEqual(Array(matrix.columns(inRow: 2)), [0, 3])
        XCTAssertEqual(matrix.dense().scalars, [0, 8, 6, 0,
                                                0, 0, 0, 0,
                                                7, 0, 0, 5])
        XCTAssertEqual(matrix.entryCount, 4)
        XCTAssertEqual(matrix.shape, [3, 4])
    }

    func testArraysThatAreNotAMatrixAreRefusedWithTheReason() {
        func reason(_ make: () throws -> SparseMatrix) -> String {
            do { _ = try make(); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 2, columnCount: 2, rowOffsets: [0, 1], columns: [0], values: [1]) },
                       "sparse matrix: 2 row offsets for 2 rows (expected 3)")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 2, columnCount: 2, rowOffsets: [0, 1, 3], columns: [0, 1], values: [1, 1]) },
                       "sparse matrix: row offsets run from 0 to 3; expected 0 to 2 (the number of entries)")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 2, columnCount: 2, rowOffsets: [0, 2, 1], columns: [0], values: [1]) },
                       "sparse matrix: row offsets decrease at row 1 (2 then 1)")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 1, columnCount: 2, rowOffsets: [0, 1], columns: [2], values: [1]) },
                       "sparse matrix: row 0 has column 2, outside 0..<2")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 1, columnCount: 3, rowOffsets: [0, 2], columns: [1, 1], values: [1, 1]) },
                       "sparse matrix: row 0's columns are not strictly ascending (1 then 1)")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 1, columnCount: 3, rowOffsets: [0, 1], columns: [1], values: []) },
                       "sparse matrix: 0 values for 1 entries")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 2, columnCount: 2, entries: [(0, 1), (0, 1)]) },
                       "sparse matrix: entry (0, 1) is given twice")
        XCTAssertEqual(reason { try SparseMatrix(rowCount: 2, columnCount: 2, entries: [(2, 0)]) },
                       "sparse matrix: entry (2, 0) is outside the shape [2, 2]")
    }
}
