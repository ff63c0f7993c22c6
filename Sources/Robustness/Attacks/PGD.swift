import Foundation
import NN
import Tensors

/// Projected gradient descent (Madry et al., 2018): from a random point of the ε-ball,
/// `steps` ascent steps on the attack loss, each projected back onto the ball and the input
/// range. Each sample keeps its strongest iterate over all steps and restarts (a successful
/// one first, then the highest loss), so more steps or restarts never weaken the attack.
///
/// With `momentum` μ > 0 the step follows the accumulated, L1-normalised gradient
/// `g ← μ·g + ∇/‖∇‖₁` instead (MI-FGSM, see `MIFGSM`).
public struct PGD: Attack {
    /// How the step size changes over the iterations.
    public enum StepSchedule: String, Sendable {
        case constant
        /// `α·(1 + cos(πt/steps))/2`: large steps first, fine ones last.
        case cosine
    }

    public let threat: ThreatModel
    public let steps: Int
    public let stepSize: Float
    public let randomStart: Bool
    public let restarts: Int
    public let loss: AttackLoss
    public let schedule: StepSchedule
    public let momentum: Float
    public var name: String { "pgd-\(steps)" + (loss == .margin ? "-cw" : "") }

    /// `stepSize` defaults to 2.5·ε/steps (Madry et al.'s rule, so the walk can cross the ball).
    public init(
        _ threat: ThreatModel, steps: Int = 20, stepSize: Float? = nil, randomStart: Bool = true, restarts: Int = 1,
        loss: AttackLoss = .crossEntropy, schedule: StepSchedule = .constant, momentum: Float = 0
    ) {
        precondition(steps >= 1 && restarts >= 1, "PGD: steps \(steps) and restarts \(restarts) must be at least 1")
        (self.threat, self.steps, self.randomStart, self.restarts) = (threat, steps, randomStart, restarts)
        self.stepSize = stepSize ?? 2.5 * threat.epsilon / Float(steps)
        (self.loss, self.schedule, self.momentum) = (loss, schedule, momentum)
    }

    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        var best = StrongestIterate(clean: inputs, labels: labels, targets: targets)
        iterate(model, around: inputs, start: nil, objective: { loss(logits: $0, labels: labels, targets: targets) }, using: &generator) { x, objective, logits in
            best.offer(x, objective: objective, logits: logits)
        }
        return best.inputs
    }

    /// PGD on any per-sample objective of the logits (TRADES, ARD, RSLAD and MTARD maximise a
    /// divergence from reference outputs), from `start` (default: the configured start);
    /// returns the last iterate of the last restart.
    public func maximize(
        _ model: Module, around inputs: Tensor, start: Tensor? = nil, objective: (Tensor) -> Tensor, using generator: inout RandomGenerator
    ) -> Tensor {
        var last = inputs
        iterate(model, around: inputs, start: start, objective: objective, using: &generator) { x, _, _ in last = x }
        return last.detached()
    }

    /// The restarts and steps, showing each iterate (with its objective and logits) to `visit`.
    private func iterate(
        _ model: Module, around inputs: Tensor, start: Tensor?, objective: (Tensor) -> Tensor, using generator: inout RandomGenerator,
        visit: (Tensor, Tensor, Tensor) -> Void
    ) {
        for _ in 0..<restarts {
            var x = start.map { threat.project($0, around: inputs) } ?? (randomStart ? threat.randomStart(around: inputs, using: &generator) : inputs)
            var accumulated: Tensor?
            for t in 0...steps {
                let (gradient, value, logits) = inputGradient(model, at: x, objective: objective)
                visit(x, value, logits)
                guard t < steps else { break }
                var direction = gradient
                if momentum > 0 {
                    let l1 = gradient.reshaped([gradient.shape[0], -1]).abs().sum(axes: [1])
                    let normalized = gradient / maximum(l1, Tensor(1e-12)).reshaped(perSampleShape(of: gradient))
                    direction = accumulated.map { $0 * momentum + normalized } ?? normalized
                    accumulated = direction
                }
                let size = schedule == .constant ? stepSize : stepSize * 0.5 * (1 + Float(cos(Double.pi * Double(t) / Double(steps))))
                x = threat.project(x + threat.ascentStep(direction, stepSize: Tensor(size)), around: inputs)
            }
        }
    }
}

/// Each sample's strongest adversarial input so far: a successful one (misclassified, or
/// classified as the target) beats an unsuccessful one; among equals, the higher objective.
struct StrongestIterate {
    private(set) var inputs: Tensor
    private var objective: [Float]
    private var succeeded: [Bool]
    let labels: [Int], targets: [Int]?

    init(clean: Tensor, labels: Tensor, targets: Tensor?) {
        inputs = clean
        objective = [Float](repeating: -.infinity, count: clean.shape[0])
        succeeded = [Bool](repeating: false, count: clean.shape[0])
        (self.labels, self.targets) = (labels.integerScalars, targets?.integerScalars)
    }

    /// Whether each prediction is a success for the attack.
    func successes(_ logits: Tensor) -> [Bool] {
        let predicted = logits.argmax(axis: 1).integerScalars
        return predicted.indices.map { i in targets.map { predicted[i] == $0[i] } ?? (predicted[i] != labels[i]) }
    }

    mutating func offer(_ candidate: Tensor, objective candidateObjective: Tensor, logits: Tensor) {
        let values = candidateObjective.scalars, success = successes(logits)
        var better = [Float](repeating: 0, count: values.count)
        for i in values.indices where (success[i] && !succeeded[i]) || (success[i] == succeeded[i] && values[i] > objective[i]) {
            better[i] = 1
            objective[i] = values[i]
            succeeded[i] = success[i]
        }
        guard better.contains(1) else { return }
        inputs = `where`(Tensor(better).reshaped(perSampleShape(of: candidate)) .> 0.5, candidate.detached(), inputs)
    }
}
