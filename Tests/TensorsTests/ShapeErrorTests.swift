import Tensors
import XCTest

/// Shape errors name the operation and both shapes. Operations stop on them (they are
/// programming errors); the same check is available as a throwing function.
final class ShapeErrorTests: XCTestCase {
    func testBroadcastErrorNamesOperationAndShapes() {
        XCTAssertThrowsError(try broadcastShapes([2, 3], [4], operation: "add")) { error in
            XCTAssertEqual("\(error)", "add: shapes [2, 3] and [4] cannot be broadcast together")
            XCTAssertEqual(error as? ShapeError, ShapeError(operation: "add", message: "shapes [2, 3] and [4] cannot be broadcast together"))
        }
        XCTAssertThrowsError(try broadcastShapes([3, 1, 5], [2, 4], operation: "matmul"))
    }

    func testCompatibleShapesBroadcastAsNumPyDoes() throws {
        XCTAssertEqual(try broadcastShapes([2, 1, 3], [4, 1]), [2, 4, 3])
        XCTAssertEqual(try broadcastShapes([], [5]), [5])
        XCTAssertEqual(try broadcastShapes([1], [0]), [0])
    }
}
