import Foundation

/// The eigen-decomposition of a real symmetric matrix by cyclic Jacobi rotations, in
/// `Double`: what the Fréchet distance's matrix square roots need, for feature sizes of a
/// few hundred at most (each sweep is O(n³); ten or so sweeps converge).
public struct SymmetricEigen {
    /// The eigenvalues, ascending.
    public let values: [Double]
    /// The eigenvectors as the columns of an `n × n` row-major matrix, in the values' order.
    public let vectors: [Double]
    public let size: Int

    /// The decomposition of the `n × n` row-major symmetric `matrix` (its upper triangle is read).
    public init(_ matrix: [Double], size n: Int, tolerance: Double = 1e-12, maximumSweeps: Int = 60) {
        precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) entries for a \(n) × \(n) matrix")
        var a = matrix
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = max(a.reduce(0) { max($0, abs($1)) }, .leastNormalMagnitude)
        for _ in 0..<maximumSweeps {
            var offDiagonal = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { offDiagonal += a[p * n + q] * a[p * n + q] } }
            if offDiagonal.squareRoot() <= tolerance * scale { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where a[p * n + q] != 0 {
                    // The rotation that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1).
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let (akp, akq) = (a[k * n + p], a[k * n + q])
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let (apk, aqk) = (a[p * n + k], a[q * n + k])
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let (vkp, vkq) = (v[k * n + p], v[k * n + q])
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        values = order.map { a[$0 * n + $0] }
        vectors = (0..<n).flatMap { row in order.map { v[row * n + $0] } }
        size = n
    }

    /// `V·f(Λ)·Vᵀ`: the matrix function `f` of the decomposed matrix (its square root for `sqrt`).
    public func applying(_ f: (Double) -> Double) -> [Double] {
        let n = size
        let mapped = values.map(f)
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for k in 0..<n { sum += vectors[i * n + k] * mapped[k] * vectors[j * n + k] }
                (result[i * n + j], result[j * n + i]) = (sum, sum)
            }
        }
        return result
    }
}
