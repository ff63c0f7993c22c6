import NN
import Tensors

/// QuadAttack (Paniagua, Grainger & Wu, 2023): an ordered top-K targeted attack. Each step
/// first solves, in the feature space of the last linear layer `logits = W·z + b`, the
/// quadratic program
///
///     min ‖z′ − z‖²  s.t.  (w_{t_i} − w_{t_{i+1}})·z′ + b_{t_i} − b_{t_{i+1}} ≥ m   (i < K)
///                          (w_{t_K} − w_j)·z′ + b_{t_K} − b_j ≥ m                  (j ∉ T)
///
/// — the nearest features whose logits rank the targets `t_1 … t_K` first, in order — then
/// takes one back-propagated step in input space toward them (descending `‖z(x′) − z′‖²`,
/// a signed step in L∞, a normalised one in L2), projected onto the threat model. The QP is
/// solved per sample by Hildreth's dual coordinate ascent. Each sample keeps the first input
/// that achieves its ordered top-K.
public struct QuadAttack: Attack {
    public let threat: ThreatModel
    public let steps: Int
    public let stepSize: Float
    public let margin: Float
    /// The path of the last linear layer's input (the features) and of that layer.
    public let featurePath: String, classifierPath: String
    public var name: String { "quad-attack" }

    public init(_ threat: ThreatModel, featurePath: String, classifierPath: String, steps: Int = 60, stepSize: Float? = nil, margin: Float = 1) {
        (self.threat, self.featurePath, self.classifierPath, self.steps, self.margin) = (threat, featurePath, classifierPath, steps, margin)
        self.stepSize = stepSize ?? 2.5 * threat.epsilon / Float(steps)
    }

    /// Whether each row of `logits` ranks `targets` (`[N, K]`) first, in order.
    public static func hitsOrderedTopK(_ logits: Tensor, targets: Tensor) -> [Bool] {
        let k = targets.rank == 1 ? 1 : targets.shape[1]
        let ranked = logits.topK(k, axis: 1).indices.integerScalars, wanted = targets.integerScalars
        return (0..<logits.shape[0]).map { i in Array(ranked[(i * k)..<((i + 1) * k)]) == Array(wanted[(i * k)..<((i + 1) * k)]) }
    }

    /// With `targets` `[N, K]` (or `[N]` for K = 1); without targets, the attack aims at the
    /// second-ranked class.
    public func perturb(_ model: Module, inputs: Tensor, labels: Tensor, targets: Tensor?, using generator: inout RandomGenerator) -> Tensor {
        guard let classifier = model.module(at: classifierPath) as? Linear else {
            preconditionFailure("quad-attack: '\(classifierPath)' is not a Linear layer of the model")
        }
        let (weight, bias) = (classifier.weight.detached(), classifier.bias?.detached() ?? Tensor.zeros([classifier.weight.shape[0]]))
        let n = inputs.shape[0]
        let orderedTargets = targets.map { $0.rank == 1 ? $0.reshaped([n, 1]) : $0 }
            ?? withoutGradients { model(inputs).topK(2, axis: 1).indices.slice(axis: 1, start: 1) }
        var x = inputs, result = inputs
        var done = [Bool](repeating: false, count: n)
        for step in 0...steps {
            let leaf = x.detached().requiringGradient()
            let (logits, features) = try! model.capturingFeatures([featurePath]) { model(leaf) }
            let z = features[featurePath]!.flattened(startAxis: 1)
            let hits = Self.hitsOrderedTopK(logits.detached(), targets: orderedTargets)
            let newlyDone = (0..<n).map { !done[$0] && hits[$0] }
            if newlyDone.contains(true) {
                result = `where`(Tensor(newlyDone.map { $0 ? 1 : 0 }).reshaped(perSampleShape(of: x)) .> 0.5, x, result)
                for i in 0..<n where newlyDone[i] { done[i] = true }
            }
            guard step < steps, done.contains(false) else { break }
            let goal = Tensor(nearestFeasibleFeatures(z.detached(), weight: weight, bias: bias, targets: orderedTargets), shape: z.shape)
            let distance = (z - goal).squared().sum()
            let gradient = gradients(of: distance, wrt: [leaf])[0]
            x = threat.project(x - threat.ascentStep(gradient, stepSize: Tensor(stepSize)), around: inputs)
        }
        // Samples never hit keep their last iterate (the closest the attack came).
        let missed = done.map { $0 ? Float(0) : 1 }
        return `where`(Tensor(missed).reshaped(perSampleShape(of: x)) .> 0.5, x, result)
    }

    /// Hildreth's algorithm per sample: `z + Σ λ_i a_i` with `λ ≥ 0` raised one constraint at
    /// a time until every `a_i·z′ ≥ c_i` holds (to a small tolerance) or the sweeps run out.
    func nearestFeasibleFeatures(_ z: Tensor, weight: Tensor, bias: Tensor, targets: Tensor) -> [Float] {
        let (n, d) = (z.shape[0], z.shape[1]), classes = weight.shape[0], k = targets.shape[1]
        let w = weight.scalars, b = bias.scalars, t = targets.integerScalars
        var out = z.scalars
        for i in 0..<n {
            let order = Array(t[(i * k)..<((i + 1) * k)])
            var pairs: [(Int, Int)] = (0..<(k - 1)).map { (order[$0], order[$0 + 1]) }
            pairs += (0..<classes).filter { !order.contains($0) }.map { (order[k - 1], $0) }
            // Constraint rows a = w_hi − w_lo, bounds c = m − (b_hi − b_lo).
            let rows = pairs.map { hi, lo in (0..<d).map { w[hi * d + $0] - w[lo * d + $0] } }
            let bounds = pairs.map { hi, lo in margin - (b[hi] - b[lo]) }
            let norms = rows.map { $0.reduce(0) { $0 + $1 * $1 } }
            var point = Array(out[(i * d)..<((i + 1) * d)])
            var lambda = [Float](repeating: 0, count: rows.count)
            for _ in 0..<200 {
                var worst: Float = 0
                for (c, row) in rows.enumerated() where norms[c] > 0 {
                    let slack = bounds[c] - zip(row, point).reduce(0) { $0 + $1.0 * $1.1 }
                    let change = max(-lambda[c], slack / norms[c])
                    if change != 0 {
                        lambda[c] += change
                        for j in 0..<d { point[j] += change * row[j] }
                    }
                    worst = max(worst, slack)
                }
                if worst < 1e-4 { break }
            }
            out.replaceSubrange((i * d)..<((i + 1) * d), with: point)
        }
        return out
    }
}
