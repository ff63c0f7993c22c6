import NN
import Tensors

/// A generator of one or a few steps on a teacher's parameterization, as distribution
/// matching distils one (DMD, DMD2): a network denoiser whose clean-data estimate at the
/// pure-noise end maps noise to a sample in one evaluation. With more steps, each estimate is
/// noised back to the next of `times` with fresh noise and denoised again (DMD2's multi-step
/// generator, §4.4). Started from the teacher's weights, it is the teacher's one-step
/// estimate.
public struct FewStepGenerator {
    /// The student's network, read as the teacher's network is (same process and target).
    public let denoiser: NetworkDenoiser
    /// The times it denoises at, descending; the first is the pure-noise end.
    public let times: [Double]

    public var process: NoiseProcess { denoiser.process }
    /// The classes a class-conditional generator samples for (0: unconditional).
    public var classCount: Int { denoiser.network.classCount }

    public init(_ denoiser: NetworkDenoiser, steps: Int) {
        precondition(steps >= 1, "FewStepGenerator: at least one step, found \(steps)")
        self.denoiser = denoiser
        times = Self.times(steps: steps, process: denoiser.process)
    }

    /// The generator's times for `steps` evaluations: the pure-noise end, then evenly spaced
    /// times (DMD2's 999, 749, 499, 249 of 1000 for 4 steps), or on the EDM process the
    /// interior of Karras's grid that consistency sampling uses.
    public static func times(steps: Int, process: NoiseProcess) -> [Double] {
        let end = process.timeRange.upperBound
        guard process.kind == .edm else { return (0..<steps).map { end * (1 - Double($0) / Double(steps)) } }
        return [end] + NoiseProcess.consistencyIntermediateLevels(steps: steps, sigmaMin: process.sigmaMin, sigmaMax: process.sigmaMax)
    }

    /// The generator's input at step `step` for a clean estimate `data` and noise `noise`: the
    /// process's noisy sample at that step's time (pure noise at step 0, where α vanishes or
    /// is negligible next to σ).
    func input(data: Tensor?, noise: Tensor, step: [Int]) -> Tensor {
        let sigmas = step.map { process.sigma(times[$0]) }
        guard let data else { return perSample(sigmas, like: noise) * noise }
        return perSample(step.map { process.alpha(times[$0]) }, like: noise) * data + perSample(sigmas, like: noise) * noise
    }

    /// The clean estimate of inputs `x` `[N, …]`, sample `n` at step `step[n]` (for class
    /// `classes[n]`, when given), with gradients in the network's parameters.
    public func denoise(_ x: Tensor, step: [Int], classes: Tensor? = nil) -> Tensor {
        (classes.map { denoiser.conditioned(on: $0) } ?? denoiser).dataPrediction(x, atEach: step.map { times[$0] })
    }

    /// Backward simulation (DMD2, §4.4): the input each sample meets at its step `step[n]`
    /// when the generator itself runs from pure noise to it (its own earlier estimates,
    /// noised back), not a noised data sample — the inputs it sees when it samples.
    public func simulatedInputs(shape: [Int], step: [Int], classes: Tensor? = nil, using generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            let count = step.count
            var x = input(data: nil, noise: Tensor.normal([count] + shape, using: &generator), step: [Int](repeating: 0, count: count))
            var reached = x
            for current in 0..<(step.max() ?? 0) {
                let estimate = denoise(x, step: [Int](repeating: current, count: count), classes: classes)
                x = input(data: estimate, noise: Tensor.normal([count] + shape, using: &generator), step: [Int](repeating: current + 1, count: count))
                let arrived = Tensor(step.map { $0 == current + 1 ? 1 : 0 }, shape: [count])
                reached = reached + perSample(arrived, like: x) * (x - reached)
            }
            return reached
        }
    }

    /// The inputs of `count` training evaluations, each at a random step, with those steps:
    /// the inputs backward simulation reaches (`simulatedInputs`).
    public func trainingInputs(count: Int, shape: [Int], classes: Tensor? = nil, using generator: inout RandomGenerator) -> (inputs: Tensor, steps: [Int]) {
        let steps = (0..<count).map { _ in generator.nextInt(below: times.count) }
        return (simulatedInputs(shape: shape, step: steps, classes: classes, using: &generator), steps)
    }

    /// `count` samples of `shape` in `times.count` evaluations (sample `n` of class
    /// `classes[n]`, when given).
    public func sample(count: Int, shape: [Int], classes: Tensor? = nil, using generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            var x = input(data: nil, noise: Tensor.normal([count] + shape, using: &generator), step: [Int](repeating: 0, count: count))
            var estimate = x
            for current in times.indices {
                estimate = denoise(x, step: [Int](repeating: current, count: count), classes: classes)
                if current + 1 < times.count {
                    x = input(data: estimate, noise: Tensor.normal([count] + shape, using: &generator), step: [Int](repeating: current + 1, count: count))
                }
            }
            return estimate
        }
    }

    /// An idempotent one-step generator's `applications`-step sampling (IGN, SIGN): the
    /// generator applied again to its own output, `f(f(…f(z)))`. Each application is the
    /// one step's evaluation at the pure-noise end, whatever its input.
    public func sample(count: Int, shape: [Int], applications: Int, using generator: inout RandomGenerator) -> Tensor {
        precondition(times.count == 1 && applications >= 1, "FewStepGenerator: reapplies a one-step generator at least once")
        let first = sample(count: count, shape: shape, using: &generator)
        return withoutGradients { (1..<applications).reduce(first) { x, _ in denoise(x, step: [Int](repeating: 0, count: count)) } }
    }

    /// IGN's idempotence error of a one-step generator `f`: the mean Euclidean distance
    /// `‖f(f(z)) − f(z)‖` over `count` samples.
    public func idempotenceError(count: Int, shape: [Int], using generator: inout RandomGenerator) -> Double {
        let once = sample(count: count, shape: shape, using: &generator)
        let twice = withoutGradients { denoise(once, step: [Int](repeating: 0, count: count)) }
        return Double((twice - once).squared().reshaped([count, -1]).sum(axis: 1).sqrt().mean().item)
    }
}
