import Datasets
import Foundation
import NN
import Tensors
import Training

/// TwinFlow's model: the flow map network that trains, and the exponential moving average of
/// its weights that builds its consistency targets (frozen, and saved beside it, so that a
/// resumed run continues from the same average).
public final class TwinFlowModel: Module {
    public let network: FlowMapMLP
    public let average: FlowMapMLP

    /// `average` starts as a copy of `network`'s weights.
    public init(dimension: Int, hidden: [Int] = [128, 128, 128], using generator: inout RandomGenerator) throws {
        network = FlowMapMLP(dimension: dimension, hidden: hidden, using: &generator)
        average = FlowMapMLP(dimension: dimension, hidden: hidden, using: &generator)
        try average.loadStateDict(network.stateDict())
        average.freeze()
        super.init()
    }

    /// `average ← d·average + (1 − d)·network`.
    func updateAverage(decay: Float) {
        withoutGradients {
            let current = Dictionary(uniqueKeysWithValues: network.namedParameters().map { ($0.path, $0.parameter.wrappedValue) })
            average.update(parameters: Dictionary(uniqueKeysWithValues: average.namedParameters().map { entry in
                (entry.path, decay * entry.parameter.wrappedValue + (1 - decay) * current[entry.path]!)
            }))
        }
    }
}

/// TwinFlow (Cheng et al. 2025, "TwinFlow: Realizing One-step Generation on Large Models with
/// Self-adversarial Flows"; the official `twinflow.py`): a one-step generator trained from
/// data alone, with neither teacher nor discriminator. One flow map network `F(x_t, t, r)`
/// (`FlowMapMLP`, the average velocity from `t` to `r` on the rectified flow
/// `x_t = (1 − t)·x + t·z`, velocity `z − x`) serves over `t ∈ [−1, 1]`: at positive times
/// the data's flow, at negative times the flow of its own one-step samples, its "twin".
///
/// Each batch is split into four equal parts, with `t ~ U(0, 1)` and `r ~ U(0, t)`:
/// - end-to-end: `t = 1, r = 0`, the one-step generator `G(z) = z − F(z, 1, 0)`;
/// - multi-step: `r` within 5% of `t` (nearly the instantaneous velocity);
/// - any-step: `r` as drawn;
/// - adversarial: the data replaced by the model's own one-step samples (no gradients), and
///   `t = r = −t`: flow matching of the fake flow at negative times.
///
/// The target is the velocity `z − x`; for the first three parts it is replaced by RCGM's
/// consistency target (the RCGM paper `twinflow.py` cites), built with the moving average `F⁻` of the network:
/// from `x_t` moved one step of 0.01 along the velocity, `F⁻` jumps to `r` in `N` = 2 steps,
/// a displacement `Δ`, and with `F = F(x_t, t, r)`,
///
///     target = sg(F) − clamp(100·((t − r)·F − Δ) − (z − x), −1, 1)
///
/// (plain flow matching where `t − r < 0.01`). Each part is weighted by
/// `tan((1 − (|t| − |r|))·π/2.5) + 1` (1 for the adversarial part) under Barron's robust
/// loss (α = 1, c = 10⁻³: `mse·(mse/c² + 1)^(−½)/c`, the weight without gradients). The
/// one-step samples `x̂ = G(z)` of the end-to-end part then follow the twin flows' difference,
/// DMD's rule with both scores from the one network: at `x_s = s·z′ + (1 − s)·x̂`,
/// `s ~ U(0, 1)`,
///
///     ∇ = clamp(F(x_s, −s, −s) − F(x_s, s, s), −1, 1),   L_self = ½·Barron(F(z, 1, 0), sg(F(z, 1, 0) − ∇)),
///
/// weight ½ (`dist_match_cof`). The moving average's decay rises toward 0.99 as
/// `d ← d + (1 − d)(0.99 − d)/2` from 0, the official warm-up. Unconditional: the official
/// target enhancement (a guidance-like conditional minus unconditional term) is zero here.
public final class TwinFlow: TrainingObjective {
    /// The average's decay ceiling (`ema_decay_rate`).
    public let averageDecay: Double
    /// The weight of the self-adversarial term (`dist_match_cof`); 0 drops it and the
    /// adversarial part's fake flow with it (the ablation).
    public let selfAdversarialWeight: Float
    /// RCGM's steps of the average to build a target (`estimate_order`).
    public let targetSteps: Int
    /// The current decay of the average.
    public private(set) var decay: Double = 0

    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(averageDecay: Double = 0.99, selfAdversarialWeight: Float = 0.5, targetSteps: Int = 2) {
        precondition((0..<1).contains(averageDecay) && targetSteps >= 1 && selfAdversarialWeight >= 0, "TwinFlow: decay in [0, 1), targetSteps ≥ 1")
        (self.averageDecay, self.selfAdversarialWeight, self.targetSteps) = (averageDecay, selfAdversarialWeight, targetSteps)
    }

    /// The batch's four parts' index ranges, as the official split rounds them.
    enum Part: CaseIterable { case endToEnd, multiStep, anyStep, adversarial }

    public struct Prepared {
        let noisy: Tensor
        let from: [Double], to: [Double]
        /// The velocity `z − x` per row.
        let velocity: Tensor
        /// RCGM's displacement `Δ` of the average from `x_t` moved 0.01 to `r` (zero where
        /// `t − r < 0.01`).
        let displacement: Tensor
        let usesConsistency: [Bool]
        let isAdversarial: [Bool]
        let endToEndRows: [Int]
        /// The self-adversarial term's noise and times.
        let selfNoise: Tensor
        let selfTimes: [Double]
    }

    private func model(_ student: Module) -> TwinFlowModel {
        guard let model = student as? TwinFlowModel else { preconditionFailure("TwinFlow trains a TwinFlowModel, given \(type(of: student))") }
        return model
    }

    public func prepare(_ batch: Batch, student: Module, epoch _: Int, using random: inout RandomGenerator) throws -> Prepared {
        let model = model(student)
        // The official order: fold the network into the average, then raise the decay.
        model.updateAverage(decay: Float(decay))
        decay += (1 - decay) * (averageDecay - decay) * 0.5
        let count = batch.count
        precondition(count >= 4, "TwinFlow: a batch of at least 4 (one row per part)")
        let quarter = Int((Double(count) / 4).rounded())
        let part: [Part] = (0..<count).map { row in row < quarter ? .endToEnd : row < 2 * quarter ? .multiStep : row < 3 * quarter ? .anyStep : .adversarial }
        var t = (0..<count).map { _ in Double(random.nextUniform()) }
        var r = t.map { $0 - Double(random.nextUniform()) * $0 }
        let nearby = t.map { $0 - Double(random.nextUniform()) * $0 * 0.05 }
        for row in 0..<count {
            switch part[row] {
            case .endToEnd: (t[row], r[row]) = (1, 0)
            case .multiStep: r[row] = nearby[row]
            case .anyStep: break
            case .adversarial: r[row] = t[row]
            }
        }
        var data = batch.inputs
        let adversarialRows = (0..<count).filter { part[$0] == .adversarial }
        if selfAdversarialWeight > 0, !adversarialRows.isEmpty {
            // The model's own one-step samples replace the data of the adversarial part.
            let fakes = withoutGradients {
                let noise = Tensor.normal([adversarialRows.count, model.network.dimension], using: &random)
                let ones = [Double](repeating: 1, count: adversarialRows.count)
                return model.network.jump(noise, from: ones, to: ones.map { _ in 0 })
            }
            data = concatenate([data.slice(axis: 0, end: adversarialRows[0]), fakes], axis: 0)
        }
        let noise = Tensor.normal(data.shape, using: &random)
        let noisy = perSample(t.map { 1 - $0 }, like: data) * data + perSample(t, like: data) * noise
        let velocity = noise - data
        let usesConsistency = (0..<count).map { part[$0] != .adversarial && t[$0] - r[$0] >= 0.01 }
        // RCGM: from x_t one step of 0.01 along the velocity, the average's jump to r.
        let displacement = withoutGradients { () -> Tensor in
            let start = noisy - 0.01 * velocity
            let from = zip(t, r).map { max($0 - 0.01, $1) }
            var (x, total) = (start, Tensor.zeros(data.shape))
            for step in 0..<targetSteps {
                let (a, b) = (Double(step) / Double(targetSteps), Double(step + 1) / Double(targetSteps))
                let current = zip(from, r).map { $0 * (1 - a) + $1 * a }, next = zip(from, r).map { $0 * (1 - b) + $1 * b }
                let moved = perSample(zip(current, next).map { $0 - $1 }, like: x) * model.average.velocity(x, from: current, to: next)
                (x, total) = (x - moved, total + moved)
            }
            return total
        }
        let isAdversarial = part.map { $0 == .adversarial && selfAdversarialWeight > 0 }
        let (signedT, signedR) = (zip(t, isAdversarial).map { $1 ? -$0 : $0 }, zip(r, isAdversarial).map { $1 ? -$0 : $0 })
        let endToEndRows = (0..<count).filter { part[$0] == .endToEnd }
        return Prepared(noisy: noisy, from: signedT, to: signedR, velocity: velocity, displacement: displacement, usesConsistency: usesConsistency,
                        isAdversarial: isAdversarial, endToEndRows: endToEndRows,
                        selfNoise: Tensor.normal([endToEndRows.count, data.shape[1]], using: &random),
                        selfTimes: endToEndRows.map { _ in Double(random.nextUniform()) })
    }

    /// Barron's robust loss per row (α = 1, c = 10⁻³), its reweighting without gradients.
    static func barron(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let c: Float = 1e-3
        let meanSquare = (prediction - target).squared().reshaped([prediction.shape[0], -1]).mean(axis: 1)
        let weight = withoutGradients { (meanSquare.detached() / (c * c) + 1).pow(-0.5) }
        return meanSquare * weight / c
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let network = model(student).network
        let velocity = network.velocity(prepared.noisy, from: prepared.from, to: prepared.to)
        let fixed = velocity.detached()
        let span = zip(prepared.from, prepared.to).map { abs($0) - abs($1) }
        // RCGM's target `sg(F) − clamp(A − v, ±1)`: A = 100·((t − r)·F − Δ) where t − r ≥ 0.01,
        // else A = F (a step of at most 1 toward the velocity); the adversarial rows' target
        // is the velocity itself.
        let consistency = perSample(prepared.usesConsistency.map { $0 ? 1 : 0 }, like: fixed)
        let estimate = consistency * (100 * (perSample(span, like: fixed) * fixed - prepared.displacement)) + (1 - consistency) * fixed
        let adversarial = perSample(prepared.isAdversarial.map { $0 ? 1 : 0 }, like: fixed)
        let target = adversarial * prepared.velocity + (1 - adversarial) * (fixed - (estimate - prepared.velocity).clamped(min: -1, max: 1))
        let weighting = zip(span, prepared.isAdversarial).map { span, adversarial in adversarial ? 1 : tan((1 - span) * Double.pi / 2.5) + 1 }
        let flow = (Self.barron(velocity, target) * Tensor(weighting.map(Float.init), shape: [weighting.count])).mean()
        var (total, parts) = (flow, ["flow": flow.item])
        if selfAdversarialWeight > 0, !prepared.endToEndRows.isEmpty {
            let rows = prepared.endToEndRows
            let oneStep = velocity.indexSelect(axis: 0, indices: rows)
            let gradient = withoutGradients { () -> Tensor in
                let samples = prepared.noisy.indexSelect(axis: 0, indices: rows) - oneStep.detached()
                let s = prepared.selfTimes
                let noisy = perSample(s.map { 1 - $0 }, like: samples) * samples + perSample(s, like: samples) * prepared.selfNoise
                return (network.velocity(noisy, from: s.map { -$0 }, to: s.map { -$0 }) - network.velocity(noisy, from: s, to: s)).clamped(min: -1, max: 1)
            }
            let selfAdversarial = Self.barron(oneStep, oneStep.detached() - gradient).mean()
            parts["self_adversarial"] = selfAdversarial.item
            total = total + selfAdversarialWeight * selfAdversarial
        }
        return (total, parts)
    }

    public var adaptiveState: [String: Double] { ["average_decay": decay] }
    public func restoreAdaptiveState(_ state: [String: Double]) {
        if let value = state["average_decay"] { decay = value }
    }
}
