import Foundation
import NN
import Tensors
import XCTest

/// The PyTorch references written by Fixtures/make_fixtures.py.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let reference: [String: Any] = load("reference.json")
    static let architectures: [String: Any] = load("architectures.json")

    private static func load(_ name: String) -> [String: Any] {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { fatalError("cannot read fixture \(name)") }
        return object
    }

    static func tensor(_ name: String) -> Tensor {
        guard let entry = reference[name] as? [String: Any], let shape = entry["shape"] as? [Int], let data = entry["data"] as? [Double]
        else { fatalError("fixture \(name) is missing") }
        return Tensor(data.map { Float($0) }, shape: shape)
    }
}

func assertClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, message, file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let worst = zip(actual.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
    XCTAssertLessThanOrEqual(worst, tolerance, "\(message): largest difference \(worst)", file: file, line: line)
}
