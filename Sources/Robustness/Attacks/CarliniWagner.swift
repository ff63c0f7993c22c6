import Foundation
import NN
import Tensors

/// Carlini & Wagner's L2 attack (2017): the smallest perturbation (in L2) that changes the
/// prediction, found by minimising `‖x′ − x‖₂² + c·f(x′)` over `x′ = lo + (hi − lo)·(tanh w + 1)/2`
/// (so x′ is always in range) with Adam, where `f = max(z_y − max_{j≠y} z_j, −κ)` (targeted:
/// `max(max_{j≠t} z_j − z_t, −κ)`). A binary search over the constant `c`, per sample, finds
/// the smallest `c` that succeeds. Samples it cannot break come back unchanged.
///
/// The learning rate defaults to 0.1 rather than the paper's 0.01: Adam moves `w` by about
/// the learning rate per step, and a pixel at 0 or 1 starts at `w = atanh(±0.999999) ≈ ±7.3`,
/// deep in tanh's flat tail — at 0.01 it would take hundreds of steps to move at all, and
/// images like digits are mostly such pixels.
///
/// The attack has no budget of its own; with a `threat` model, each result is projected onto
/// its ball (in either norm), so the result respects the budget, and a sample that needed a
/// larger perturbation usually stays correctly classified.
public struct CarliniWagnerL2: Attack {
    public let confidence: Float
    public let steps: Int
    public let learningRate: Float
    public let binarySearchSteps: Int
    public let initialConstant: Float
    public let threat: ThreatModel?
    public let inputRange: ClosedRange<Float>
    public var name: String { "cw-l2" }

    public init(
        confidence: Float = 0, steps: Int = 100, learningRate: Float = 0.1, binarySearchSteps: Int = 6, initialConstant: Float = 0.1,
        threat: ThreatModel? = nil, inputRange: ClosedRange<Float> = 0...1
    ) {
        (self.confidence, self.steps, self.learningRate, self.binarySearchSteps) = (confidence, steps, learningRate, binarySearchSteps)
        (self.initialConstant, self.threat, self.inputRange) = (initialConstant, threat, inputRange)
    }

    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        let n = inputs.shape[0]
        let (low, span) = (inputRange.lowerBound, inputRange.upperBound - inputRange.lowerBound)
        func image(_ w: Tensor) -> Tensor { (w.tanh() + 1) * (0.5 * span) + low }
        // atanh of the clean input (shrunk slightly so that 0 and 1 stay finite).
        let unit = ((inputs - low) / span * 2 - 1) * 0.999999
        let start = ((1 + unit) / (1 - unit)).log() * 0.5
        let reference = targets ?? labels
        let mask = oneHot(reference, classCount: 0 + classCount(model, inputs))
        var constant = [Float](repeating: initialConstant, count: n), lower = [Float](repeating: 0, count: n), upper = [Float](repeating: 1e10, count: n)
        var bestDistance = [Float](repeating: .infinity, count: n)
        var best = inputs
        for _ in 0..<binarySearchSteps {
            var w = start, m = Tensor.zeros(start.shape), v = Tensor.zeros(start.shape)
            var succeededThisRound = [Bool](repeating: false, count: n)
            let c = Tensor(constant)
            for step in 1...steps {
                let leaf = w.requiringGradient()
                let candidate = image(leaf)
                let logits = model(candidate)
                let distance = ((candidate - inputs) * (candidate - inputs)).reshaped([n, -1]).sum(axes: [1])
                let picked = (logits * mask).sum(axes: [1]), others = (logits - mask * 1e9).max(axis: 1)
                let gap = targets == nil ? picked - others : others - picked
                let objective = distance + c * maximum(gap, Tensor(-confidence))
                let gradient = gradients(of: objective.sum(), wrt: [leaf])[0]
                // Record the successes of this iterate (its logits are already computed).
                let gaps = gap.scalars, distances = distance.scalars
                var improved = [Float](repeating: 0, count: n)
                for i in 0..<n where gaps[i] <= -confidence && (confidence > 0 || gaps[i] < 0) {
                    succeededThisRound[i] = true
                    if distances[i] < bestDistance[i] { (bestDistance[i], improved[i]) = (distances[i], 1) }
                }
                if improved.contains(1) {
                    best = `where`(Tensor(improved).reshaped(perSampleShape(of: inputs)) .> 0.5, candidate.detached(), best)
                }
                // Adam on w.
                m = m * 0.9 + gradient * 0.1
                v = v * 0.999 + gradient * gradient * 0.001
                let correction1 = 1 - Float(pow(0.9, Double(step))), correction2 = 1 - Float(pow(0.999, Double(step)))
                w = w - (m / correction1) / ((v / correction2).sqrt() + 1e-8) * learningRate
            }
            for i in 0..<n {
                if succeededThisRound[i] {
                    upper[i] = min(upper[i], constant[i])
                    constant[i] = (lower[i] + upper[i]) / 2
                } else {
                    lower[i] = max(lower[i], constant[i])
                    constant[i] = upper[i] < 1e9 ? (lower[i] + upper[i]) / 2 : constant[i] * 10
                }
            }
        }
        return threat?.project(best, around: inputs) ?? best
    }

    private func classCount(_ model: Module, _ inputs: Tensor) -> Int {
        withoutGradients { model(inputs.slice(axis: 0, start: 0, end: 1)) }.shape[1]
    }
}
