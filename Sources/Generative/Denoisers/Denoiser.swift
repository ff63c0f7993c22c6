import Tensors

/// A model of the data under a noise process: at time `t`, its estimate of the clean data
/// behind a noisy batch, and the noise that estimate implies. Samplers and distillation
/// losses see every teacher and student through it, whatever the network predicts.
public protocol Denoiser {
    /// The process whose noisy samples it takes.
    var process: NoiseProcess { get }
    /// The estimates of `x₀` and `ε` for each sample of `x` (`[N, …]`) at time `t`.
    func estimate(_ x: Tensor, at t: Double) throws -> (data: Tensor, noise: Tensor)
}

extension Denoiser {
    /// The probability-flow ODE's velocity `dx/dt = α′(t)·x̂₀ + σ′(t)·ε̂` at `x` and `t`.
    public func velocity(_ x: Tensor, at t: Double) throws -> (velocity: Tensor, data: Tensor, noise: Tensor) {
        let (data, noise) = try estimate(x, at: t)
        return (Float(process.alphaDerivative(t)) * data + Float(process.sigmaDerivative(t)) * noise, data, noise)
    }
}

/// `transform` applied to the rows of `x` (`[N, D]`) group by group, rows grouped by their
/// `keys` (a time index per sample: a denoiser takes one time per call), and the results put
/// back in the rows' order.
func mapRowGroups(_ x: Tensor, keys: [Int], _ transform: (_ key: Int, _ rows: Tensor) throws -> Tensor) rethrows -> Tensor {
    let (count, dimension) = (x.shape[0], x.shape[1])
    let values = x.scalars
    var result = [Float](repeating: 0, count: count * dimension)
    for key in Set(keys).sorted() {
        let rows = keys.indices.filter { keys[$0] == key }
        let group = Tensor(rows.flatMap { Array(values[($0 * dimension)..<(($0 + 1) * dimension)]) }, shape: [rows.count, dimension])
        let mapped = try transform(key, group).scalars
        for (position, row) in rows.enumerated() {
            result.replaceSubrange((row * dimension)..<((row + 1) * dimension), with: mapped[(position * dimension)..<((position + 1) * dimension)])
        }
    }
    return Tensor(result, shape: [count, dimension])
}
