import NN
import Tensors

/// Auto-PGD with the cross-entropy loss (Croce & Hein, 2020, the first attack of AutoAttack):
/// PGD without a step size to tune. Each sample starts with step 2ε, moves with momentum
/// (`x ← P(x + α(z − x) + (1 − α)(x − x_prev))`, α = 0.75, z the plain projected step), and
/// at checkpoints `w_j` (p₀ = 0, p₁ = 0.22, p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06)) halves
/// its step and restarts from its best point when fewer than ρ = 75% of the steps since the
/// last checkpoint raised its loss, or when neither its step nor its best loss changed.
public struct APGD: Attack {
    public let threat: ThreatModel
    public let steps: Int
    public let loss: AttackLoss
    public let restarts: Int
    public var name: String { "apgd-" + (loss == .crossEntropy ? "ce" : "cw") }

    public init(_ threat: ThreatModel, steps: Int = 100, loss: AttackLoss = .crossEntropy, restarts: Int = 1) {
        (self.threat, self.steps, self.loss, self.restarts) = (threat, steps, loss, restarts)
    }

    /// The iterations at which step sizes are reconsidered.
    static func checkpoints(steps: Int) -> [Int] {
        var fractions: [Double] = [0, 0.22]
        while true {
            let next = fractions[fractions.count - 1] + max(fractions[fractions.count - 1] - fractions[fractions.count - 2] - 0.03, 0.06)
            guard next <= 1 else { break }
            fractions.append(next)
        }
        return Array(Set(fractions.dropFirst().map { Int(($0 * Double(steps)).rounded(.up)) })).sorted()
    }

    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        var strongest = StrongestIterate(clean: inputs, labels: labels, targets: targets)
        let n = inputs.shape[0], checkpoints = Self.checkpoints(steps: steps), rho = 0.75
        for _ in 0..<restarts {
            var x = threat.randomStart(around: inputs, using: &generator)
            var (gradient, objective, logits) = inputGradient(model, at: x, labels: labels, targets: targets, loss: loss)
            strongest.offer(x, objective: objective, logits: logits)
            var stepSize = [Float](repeating: 2 * threat.epsilon, count: n)
            var bestLoss = objective.scalars, bestX = x, bestGradient = gradient
            var previousX = x
            var increases = [Int](repeating: 0, count: n)
            var previousLoss = bestLoss
            var lastCheckpoint = 0
            var bestLossAtLastCheckpoint = bestLoss, stepReducedAtLastCheckpoint = [Bool](repeating: true, count: n)
            for k in 0..<steps {
                let z = threat.project(x + threat.ascentStep(gradient, stepSize: Tensor(stepSize)), around: inputs)
                let next = k == 0 ? z : threat.project(x + (z - x) * 0.75 + (x - previousX) * 0.25, around: inputs)
                previousX = x
                x = next
                (gradient, objective, logits) = inputGradient(model, at: x, labels: labels, targets: targets, loss: loss)
                strongest.offer(x, objective: objective, logits: logits)
                let values = objective.scalars
                var improved = [Float](repeating: 0, count: n)
                for i in 0..<n {
                    if values[i] > previousLoss[i] { increases[i] += 1 }
                    if values[i] > bestLoss[i] { (bestLoss[i], improved[i]) = (values[i], 1) }
                }
                previousLoss = values
                if improved.contains(1) {
                    let mask = Tensor(improved).reshaped(perSampleShape(of: x)) .> 0.5
                    bestX = `where`(mask, x, bestX)
                    bestGradient = `where`(mask, gradient, bestGradient)
                }
                guard checkpoints.contains(k + 1) else { continue }
                let window = k + 1 - lastCheckpoint
                var restart = [Float](repeating: 0, count: n)
                for i in 0..<n {
                    let tooFewIncreases = Double(increases[i]) < rho * Double(window)
                    let stalled = !stepReducedAtLastCheckpoint[i] && bestLossAtLastCheckpoint[i] == bestLoss[i]
                    stepReducedAtLastCheckpoint[i] = tooFewIncreases || stalled
                    if stepReducedAtLastCheckpoint[i] {
                        stepSize[i] /= 2
                        restart[i] = 1
                    }
                }
                if restart.contains(1) {
                    let mask = Tensor(restart).reshaped(perSampleShape(of: x)) .> 0.5
                    x = `where`(mask, bestX, x)
                    gradient = `where`(mask, bestGradient, gradient)
                    previousX = `where`(mask, bestX, previousX)
                }
                (increases, lastCheckpoint, bestLossAtLastCheckpoint) = ([Int](repeating: 0, count: n), k + 1, bestLoss)
            }
        }
        return strongest.inputs
    }
}
