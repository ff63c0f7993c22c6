import CBLAS

/// A check that a BLAS core computes `sgemm` right on this processor: products of a few
/// shapes (odd sizes, all four transpose combinations, accumulation into C, one large
/// enough for OpenBLAS's threads) against a plain loop that sums in `Double`.
///
/// Some OpenBLAS builds compute wrong results, or crash, on processors they were not
/// written for when forced onto a core. Distillery runs this before it uses a core it
/// chose, in a child process, so that a crash costs the child only.
public enum BLASSelfTest {
    /// A row-major `C = A·B + beta·C` with `A` of `[m, k]` (or `[k, m]` transposed), `B` of
    /// `[k, n]` (or `[n, k]`) and `C` of `[m, n]`, every matrix dense.
    public typealias MatrixProduct = (
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ beta: Float, _ c: UnsafeMutablePointer<Float>
    ) -> Void

    /// What the check found.
    public struct Result: Equatable, Sendable {
        /// Whether every product agreed with the reference within float tolerance.
        public var passed: Bool
        /// The largest error seen, relative to `Σ|a·b|` of its entry.
        public var worstError: Double
        /// The product with the largest error, `17×33×65 AᵀB` for example.
        public var worstCase: String
    }

    /// The largest error a correct float product shows here is about k·2⁻²⁴ ≈ 2·10⁻⁵ (k ≤ 257);
    /// a wrong kernel misses by orders of magnitude more.
    public static let tolerance = 1e-4

    /// OpenBLAS's `cblas_sgemm`.
    public static let openBLAS: MatrixProduct = { transposeA, transposeB, m, n, k, a, b, beta, c in
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }

    /// Runs the check on `product` (default: OpenBLAS).
    public static func run(_ product: MatrixProduct = openBLAS) -> Result {
        let shapes = [(1, 1, 1), (7, 5, 3), (17, 33, 65), (64, 64, 64), (129, 127, 67), (3, 250, 129)]
        var cases: [(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Float)] = []
        for (m, n, k) in shapes {
            for transposes in [(false, false), (true, false), (false, true), (true, true)] {
                cases.append((m, n, k, transposes.0, transposes.1, 0))
            }
        }
        cases.append((33, 17, 29, false, false, 1))
        cases.append((256, 256, 256, false, false, 0))  // above OpenBLAS's threading threshold

        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func nextValue() -> Float {  // a fixed-seed LCG: the check needs spread, not quality
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        var result = Result(passed: true, worstError: 0, worstCase: "")
        for test in cases {
            let a = (0..<(test.m * test.k)).map { _ in nextValue() }
            let b = (0..<(test.k * test.n)).map { _ in nextValue() }
            let initial = (0..<(test.m * test.n)).map { _ in nextValue() }
            var c = initial
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        product(test.transposeA, test.transposeB, test.m, test.n, test.k, a.baseAddress!, b.baseAddress!, test.beta, c.baseAddress!)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<test.m {
                for j in 0..<test.n {
                    var sum = Double(test.beta) * Double(initial[i * test.n + j]), magnitude = abs(sum)
                    for p in 0..<test.k {
                        let x = Double(test.transposeA ? a[p * test.m + i] : a[i * test.k + p])
                        let y = Double(test.transposeB ? b[j * test.k + p] : b[p * test.n + j])
                        sum += x * y
                        magnitude += abs(x * y)
                    }
                    let error = abs(Double(c[i * test.n + j]) - sum) / max(magnitude, 1e-30)
                    if !(error <= worst) { worst = error.isNaN ? .infinity : error }
                }
            }
            if worst >= result.worstError {
                let transposes = (test.transposeA ? "Aᵀ" : "A") + (test.transposeB ? "Bᵀ" : "B") + (test.beta != 0 ? " + C" : "")
                result.worstError = worst
                result.worstCase = "\(test.m)×\(test.n)×\(test.k) \(transposes)"
            }
            if !(worst <= tolerance) { result.passed = false }
        }
        return result
    }
}
