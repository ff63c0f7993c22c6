import Foundation
import Tensors
import XCTest

/// The reference values written by Fixtures/make_fixtures.py.
enum Fixtures {
    static let reference: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/reference.json")
        guard let data = try? Data(contentsOf: url),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { fatalError("cannot read \(url.path)") }
        return object
    }()

    /// The fixture `name` as a tensor.
    static func tensor(_ name: String) -> Tensor {
        guard let entry = reference[name] as? [String: Any], let shape = entry["shape"] as? [Int],
            let data = entry["data"] as? [Double]
        else { fatalError("fixture \(name) is missing or malformed") }
        return Tensor(data.map { Float($0) }, shape: shape)
    }

    static func array(_ name: String) -> [Any] {
        guard let value = reference[name] as? [Any] else { fatalError("fixture \(name) is missing") }
        return value
    }
}

/// Asserts equal shapes and elementwise `|a − b| ≤ tolerance·(1 + |b|)`.
func assertClose(
    _ actual: Tensor, _ expected: Tensor, tolerance: Float = 1e-5, _ message: String = "",
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars, b = expected.scalars
    var worst = 0
    var worstError: Float = 0
    for i in a.indices {
        let error = abs(a[i] - b[i]) / (1 + abs(b[i]))
        if !(error <= worstError) { worstError = error; worst = i }
    }
    XCTAssert(worstError <= tolerance, "\(message): element \(worst) is \(a[worst]), expected \(b[worst])", file: file, line: line)
}

/// Asserts that the pullbacks of `function` agree with finite differences at `inputs`.
func assertGradients(
    at inputs: [Tensor], _ message: String = "", tolerance: Float = 5e-3,
    file: StaticString = #filePath, line: UInt = #line, _ function: @escaping ([Tensor]) -> Tensor
) {
    let result = checkGradients(of: function, at: inputs, absoluteTolerance: tolerance, relativeTolerance: tolerance)
    XCTAssert(result.passed, "\(message): \(result)", file: file, line: line)
}

/// A random tensor whose elements are at least `margin` away from zero (and from each
/// other's kinks), so finite differences do not straddle a kink of relu, abs or max.
func awayFromZero(_ shape: [Int], seed: UInt64, margin: Float = 0.05) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let values = Tensor.normal(shape, using: &generator).scalars.map { $0 >= 0 ? $0 + margin : $0 - margin }
    return Tensor(values, shape: shape)
}

/// A random tensor with distinct elements (for max, pooling and top-k gradients).
func distinctValues(_ shape: [Int], seed: UInt64) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    let count = shape.reduce(1, *)
    let order = randomPermutation(count, using: &generator)
    return Tensor(order.map { Float($0) * 0.1 - Float(count) * 0.05 }, shape: shape)
}
