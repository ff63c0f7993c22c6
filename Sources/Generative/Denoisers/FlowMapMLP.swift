import NN
import Tensors

/// A flow map network for low-dimensional data: `F(x_t, t, r)`, the average velocity that
/// carries `x_t` at time `t` to time `r` on the rectified flow, `x_r = x_t − (t − r)·F`
/// (at `r = t`, the instantaneous velocity). The input and sinusoidal embeddings of both
/// times (scaled by 1000, as `NetworkDenoiser` scales one) are concatenated, then an MLP with
/// SiLU. Times may be negative: TwinFlow reads the model's own "fake" flow there.
public final class FlowMapMLP: Module {
    public let network: MLP
    public let timeEmbedding: SinusoidalEmbedding
    public let dimension: Int

    public init(dimension: Int, hidden: [Int] = [128, 128, 128], embeddingSize: Int = 32, using generator: inout RandomGenerator) {
        timeEmbedding = SinusoidalEmbedding(size: embeddingSize)
        network = MLP(widths: [dimension + 2 * embeddingSize] + hidden + [dimension], activation: .silu, using: &generator)
        self.dimension = dimension
        super.init()
    }

    /// `F(x, t, r)` for samples `x` `[N, D]`, sample `n` from `t[n]` to `r[n]`.
    public func velocity(_ x: Tensor, from t: [Double], to r: [Double]) -> Tensor {
        let embedded = [t, r].map { timeEmbedding(Tensor($0.map { Float($0 * 1000) }, shape: [$0.count])) }
        return network(concatenate([x] + embedded, axis: 1))
    }

    /// `x_r = x_t − (t − r)·F(x_t, t, r)`: the jump from `t` to `r`.
    public func jump(_ x: Tensor, from t: [Double], to r: [Double]) -> Tensor {
        x - perSample(zip(t, r).map { abs($0) - abs($1) }, like: x) * velocity(x, from: t, to: r)
    }

    /// `count` samples in `steps` jumps from noise at `t = 1` to data at 0 over evenly spaced
    /// times, each jump to the next time (TwinFlow's "any-step" sampling; one step is its 1-NFE
    /// generator `z − F(z, 1, 0)`).
    public func sample(count: Int, steps: Int, using generator: inout RandomGenerator) -> Tensor {
        integrate(count: count, steps: steps, using: &generator) { x, now, next in jump(x, from: now, to: next) }
    }

    /// `count` samples by the instantaneous velocity `F(x, t, t)` alone: `steps` Euler steps of
    /// the flow the network also learns, the sampling a plain flow-matching model has.
    public func sampleByVelocity(count: Int, steps: Int, using generator: inout RandomGenerator) -> Tensor {
        integrate(count: count, steps: steps, using: &generator) { x, now, next in x - Float(now[0] - next[0]) * velocity(x, from: now, to: now) }
    }

    /// Noise carried from `t = 1` to 0 over `steps` evenly spaced times, `move` taking the
    /// samples from each time to the next (per-sample times, all equal).
    private func integrate(count: Int, steps: Int, using generator: inout RandomGenerator,
                           _ move: (Tensor, [Double], [Double]) -> Tensor) -> Tensor {
        let times = (0...steps).map { 1 - Double($0) / Double(steps) }
        return withoutGradients {
            zip(times, times.dropFirst()).reduce(Tensor.normal([count, dimension], using: &generator)) { x, pair in
                move(x, [Double](repeating: pair.0, count: count), [Double](repeating: pair.1, count: count))
            }
        }
    }
}
