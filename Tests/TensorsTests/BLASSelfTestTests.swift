import Tensors
import XCTest

/// The self-test passes OpenBLAS's products and rejects wrong ones.
final class BLASSelfTestTests: XCTestCase {
    func testOpenBLASPasses() {
        let result = BLASSelfTest.run()
        XCTAssertTrue(result.passed, "\(result)")
        XCTAssertLessThan(result.worstError, 1e-5)
    }

    /// A plain loop, with a fault injected by `corrupt`.
    private func product(_ corrupt: @escaping (_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ c: UnsafeMutablePointer<Float>) -> Void)
        -> BLASSelfTest.MatrixProduct
    {
        { transposeA, transposeB, m, n, k, a, b, beta, c in
            BLASSelfTest.openBLAS(transposeA, transposeB, m, n, k, a, b, beta, c)
            corrupt(transposeA, transposeB, m, n, k, c)
        }
    }

    func testAWrongProductIsRejected() {
        let faults: [(String, BLASSelfTest.MatrixProduct)] = [
            ("one entry off by 1% in odd-sized products", product { _, _, m, n, _, c in
                if m % 2 == 1 && n % 2 == 1 { c[m * n / 2] *= 1.01 } }),
            ("the transpose of B ignored", { transposeA, _, m, n, k, a, b, beta, c in
                BLASSelfTest.openBLAS(transposeA, false, m, n, k, a, b, beta, c) }),
            ("the last column dropped in threaded products", product { _, _, m, n, _, c in
                if m >= 256 { for i in 0..<m { c[i * n + n - 1] = 0 } } }),
            ("NaN in one entry", product { _, _, m, n, _, c in if m == 64 { c[n + 3] = .nan } }),
            ("C overwritten instead of accumulated", { transposeA, transposeB, m, n, k, a, b, _, c in
                BLASSelfTest.openBLAS(transposeA, transposeB, m, n, k, a, b, 0, c) }),
        ]
        for (name, faulty) in faults {
            let result = BLASSelfTest.run(faulty)
            XCTAssertFalse(result.passed, name)
            XCTAssertGreaterThan(result.worstError, BLASSelfTest.tolerance, name)
            XCTAssertFalse(result.worstCase.isEmpty, name)
        }
    }
}
