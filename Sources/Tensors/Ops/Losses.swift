import Foundation

/// How a loss turns per-element values into its result.
public enum LossReduction: Sendable {
    /// The per-element (or per-sample) values.
    case none
    /// Their sum.
    case sum
    /// Their mean (for cross-entropy: over the samples not ignored).
    case mean
    /// Their sum divided by the batch size (the first axis), as PyTorch's `kl_div` needs
    /// for the true KL divergence.
    case batchMean
}

extension Tensor {
    /// Applies a reduction to per-element loss values; `batchSize` is the divisor for
    /// `.batchMean`, `meanCount` for `.mean`.
    func reducedLoss(_ reduction: LossReduction, batchSize: Int, meanCount: Int? = nil) -> Tensor {
        switch reduction {
        case .none: return self
        case .sum: return sum()
        case .mean: return sum() * (1 / Float(Swift.max(meanCount ?? count, 1)))
        case .batchMean: return sum() * (1 / Float(Swift.max(batchSize, 1)))
        }
    }

    /// Logits with classes on `classAxis` as rows `[positions, C]` with the class axis last:
    /// a view when the class axis is already last, a permuted copy otherwise.
    fileprivate func classRows(classAxis: Int, operation: String) -> Tensor {
        precondition(rank >= 2, "\(operation): logits of shape \(shape) need a batch and a class axis")
        let axis = normalizedAxis(classAxis, rank: rank, operation: operation)
        precondition(axis >= 1, "\(operation): class axis \(classAxis) is the batch axis of logits \(shape)")
        if rank == 2 { return self }
        if axis == rank - 1 { return reshaped([-1, shape[axis]]) }
        let others = (0..<rank).filter { $0 != axis }
        return permuted(others + [axis]).reshaped([-1, shape[axis]])
    }

    /// The shape of one value per position: the logits' shape without the class axis.
    fileprivate func positionShape(classAxis: Int) -> [Int] {
        let axis = normalizedAxis(classAxis, rank: rank, operation: "loss")
        return shape.enumerated().filter { $0.offset != axis }.map(\.element)
    }
}

/// Which positions of a loss a mask keeps (its non-zero elements), in row order; nil when
/// there is no mask, so the unmasked paths stay exactly as they were.
private func keptPositions(_ mask: Tensor?, positionShape: [Int], operation: String) -> [Bool]? {
    guard let mask else { return nil }
    precondition(mask.shape == positionShape, "\(operation): mask of shape \(mask.shape) does not match the positions \(positionShape) of the logits")
    return mask.scalars.map { $0 != 0 }
}

/// Cross-entropy of logits against integer labels: log-softmax and negative log-likelihood
/// fused in one pass, stable for any logit magnitude.
///
/// - Parameters:
///   - logits: `[N, C]`, or any rank with the classes on `classAxis`.
///   - labels: the logits' shape without the class axis: integers in `0..<C`, or
///     `ignoreIndex`. Labels at masked positions are not read (padding may hold anything).
///   - classAxis: the class axis: 1 by default, as in PyTorch (`[N, C, d…]`); -1 for token
///     logits `[N, T, V]`.
///   - labelSmoothing: ε; the target is `(1 − ε)·onehot + ε/C` (Szegedy et al., 2016).
///   - ignoreIndex: a label whose samples contribute nothing (and are not counted in the mean).
///   - mask: 1 where a position counts, 0 where it does not (padding), in the labels' shape.
///   - reduction: `.mean` divides by the positions counted (neither masked nor ignored),
///     `.batchMean` by the positions not masked.
public func crossEntropy(
    logits: Tensor, labels: Tensor, classAxis: Int = 1, labelSmoothing: Float = 0, ignoreIndex: Int? = nil,
    mask: Tensor? = nil, reduction: LossReduction = .mean
) -> Tensor {
    let rows = logits.classRows(classAxis: classAxis, operation: "crossEntropy")
    let classes = rows.shape[1], n = rows.shape[0]
    precondition(labels.count == n, "crossEntropy: labels of shape \(labels.shape) do not match logits of shape \(logits.shape)")
    precondition((0..<1).contains(labelSmoothing), "crossEntropy: labelSmoothing \(labelSmoothing) is not in [0, 1)")
    let kept = keptPositions(mask, positionShape: labels.shape, operation: "crossEntropy")
    let targets = labels.integerScalars
    let counts = targets.indices.map { targets[$0] != ignoreIndex && kept?[$0] != false }
    for i in targets.indices where counts[i] {
        precondition(targets[i] >= 0 && targets[i] < classes, "crossEntropy: label \(targets[i]) is not in 0..<\(classes)")
    }
    let logProbabilities = Tensor(uninitialized: rows.shape)
    let perSample = Tensor(uninitialized: [n])
    let z = rows.storage.pointer, lp = logProbabilities.storage.pointer, loss = perSample.storage.pointer
    let smoothing = labelSmoothing / Float(classes)
    parallelFor(n, grain: Swift.max(1, 4096 / Swift.max(classes, 1))) { range in
        for i in range {
            // A row that does not count is never read again: no log-softmax for it.
            guard counts[i] else { loss[i] = 0; continue }
            let row = lp + i * classes
            _ = logSoftmaxLane(z + i * classes, into: row, count: classes, stride: 1, inverseTemperature: 1)
            var value = -(1 - labelSmoothing) * row[targets[i]]
            if labelSmoothing > 0 {
                var total: Float = 0
                for c in 0..<classes { total += row[c] }
                value -= smoothing * total
            }
            loss[i] = value
        }
    }
    var result = perSample
    if Tensor.shouldRecord(rows) {
        result = perSample.recorded(inputs: [rows]) { g, _ in
            let gradient = Tensor(uninitialized: [n, classes])
            let gp = g.storage.pointer, d = gradient.storage.pointer, lp = logProbabilities.storage.pointer
            for i in 0..<n {
                let row = d + i * classes
                guard counts[i] else { row.update(repeating: 0, count: classes); continue }
                for c in 0..<classes { row[c] = (Foundation.exp(lp[i * classes + c]) - smoothing) * gp[i] }
                row[targets[i]] -= (1 - labelSmoothing) * gp[i]
            }
            return [gradient]
        }
    }
    withExtendedLifetime((rows, logProbabilities)) {}
    let counted = counts.lazy.filter { $0 }.count
    let positions = kept.map { $0.lazy.filter { $0 }.count } ?? n
    return result.reshaped(labels.shape).reducedLoss(reduction, batchSize: positions, meanCount: counted)
}

/// Cross-entropy of logits against a target distribution (soft labels, mixup targets,
/// teacher probabilities): `−Σ_c q_c log softmax(z)_c` per position. Differentiable with
/// respect to both. `classAxis` is 1 by default (PyTorch's `[N, C, d…]`), -1 for `[N, T, V]`.
public func crossEntropy(logits: Tensor, probabilities: Tensor, classAxis: Int = 1, reduction: LossReduction = .mean) -> Tensor {
    precondition(logits.shape == probabilities.shape, "crossEntropy: probabilities of shape \(probabilities.shape) do not match logits of shape \(logits.shape)")
    let axis = logits.rank >= 2 ? classAxis : 0
    let perSample = -(probabilities * logits.logSoftmax(axis: axis)).sum(axes: [axis])
    return perSample.reducedLoss(reduction, batchSize: logits.shape.first ?? 1, meanCount: perSample.count)
}

/// Negative log-likelihood of log-probabilities `[N, C]` at integer labels `[N]`.
public func negativeLogLikelihood(
    logProbabilities: Tensor, labels: Tensor, ignoreIndex: Int? = nil, reduction: LossReduction = .mean
) -> Tensor {
    precondition(logProbabilities.rank == 2 && labels.shape == [logProbabilities.shape[0]],
                 "negativeLogLikelihood: log-probabilities \(logProbabilities.shape) and labels \(labels.shape) are not [N, C] and [N]")
    let targets = labels.integerScalars
    let kept = targets.map { $0 == ignoreIndex ? 0 : $0 }
    let mask = Tensor(targets.map { $0 == ignoreIndex ? 0 : 1 })
    let picked = logProbabilities.gathering(axis: 1, indices: Tensor(kept.map(Float.init), shape: [kept.count, 1])).reshaped([-1])
    return (-picked * mask).reducedLoss(reduction, batchSize: targets.count, meanCount: Int(mask.sum().item))
}

/// PyTorch's `kl_div`: `Σ p·(log p − input)` where `input` holds log-probabilities and
/// `target` probabilities. Terms with `p = 0` are exactly 0 (the limit), so zero target
/// probabilities are safe.
public func klDivergence(logProbabilities input: Tensor, target: Tensor, reduction: LossReduction = .batchMean) -> Tensor {
    let pointwise = broadcastingMap(target, input, operation: "klDivergence", KLPointwise())
    var result = pointwise
    if Tensor.shouldRecord(input, target) {
        let p = target.detached(), q = input.detached()
        result = pointwise.recorded(inputs: [input, target]) { g, needed in
            [
                needed[0] ? (-g * p).sum(toShape: q.shape) : nil,
                needed[1] ? (broadcastingMap(p, q, operation: "klDivergence", KLTargetDerivative()) * g).sum(toShape: p.shape) : nil,
            ]
        }
    }
    return result.reducedLoss(reduction, batchSize: input.shape.first ?? 1)
}

/// The forward pass the fused divergences share: both logits' rows `[N, C]` as log-softmax
/// at `temperature`, and for each kept row `perRow(offset, studentLog, teacherLog)` (the
/// row's first element and its two log-softmax rows), 0 for the rest. Rows run in parallel.
private func logSoftmaxRowPairs(
    _ studentRows: Tensor, _ teacherRows: Tensor, temperature: Float, kept: [Bool]?,
    perRow: (_ offset: Int, _ studentLog: UnsafeMutablePointer<Float>, _ teacherLog: UnsafeMutablePointer<Float>) -> Float
) -> (studentLog: Tensor, teacherLog: Tensor, values: Tensor) {
    let (n, classes) = (studentRows.shape[0], studentRows.shape[1])
    let studentLog = Tensor(uninitialized: studentRows.shape), teacherLog = Tensor(uninitialized: studentRows.shape)
    let values = Tensor(uninitialized: [n])
    let s = studentRows.storage.pointer, t = teacherRows.storage.pointer
    let ls = studentLog.storage.pointer, lt = teacherLog.storage.pointer, v = values.storage.pointer
    let inverse = 1 / temperature
    parallelFor(n, grain: Swift.max(1, 2048 / Swift.max(classes, 1))) { range in
        for i in range {
            guard kept?[i] != false else { v[i] = 0; continue }
            let o = i * classes
            _ = logSoftmaxLane(s + o, into: ls + o, count: classes, stride: 1, inverseTemperature: inverse)
            _ = logSoftmaxLane(t + o, into: lt + o, count: classes, stride: 1, inverseTemperature: inverse)
            v[i] = perRow(o, ls + o, lt + o)
        }
    }
    withExtendedLifetime((studentRows, teacherRows)) {}
    return (studentLog, teacherLog, values)
}

/// The knowledge-distillation term of Hinton, Vinyals & Dean (2015), fused:
/// `T² · KL(softmax(t/T) ‖ softmax(s/T))` per position, for logits `[N, C]` or any rank with
/// the classes on the last axis (token logits `[N, T, V]`).
///
/// The T² factor keeps the gradient's scale independent of the temperature. Gradients
/// flow to the student, and to the teacher when its logits require them (online and mutual
/// distillation): `∂/∂s = T(q − p)`, `∂/∂t = T·p⊙(log p − log q − KL)`.
///
/// `mask` (the logits' shape without the class axis) keeps its non-zero positions; masked
/// ones contribute 0 and are not counted. `.batchMean` and `.mean` divide by the positions
/// kept: the batch size for `[N, C]`, the kept tokens for `[N, T, V]`.
public func distillationKLDivergence(
    studentLogits: Tensor, teacherLogits: Tensor, temperature: Float, mask: Tensor? = nil,
    reduction: LossReduction = .batchMean
) -> Tensor {
    precondition(studentLogits.rank >= 2 && studentLogits.shape == teacherLogits.shape,
                 "distillationKLDivergence: student logits \(studentLogits.shape) and teacher logits \(teacherLogits.shape) must have one shape, [N, C] or [N, …, C]")
    precondition(temperature > 0, "distillationKLDivergence: temperature \(temperature) must be positive")
    let positionShape = studentLogits.positionShape(classAxis: -1)
    let kept = keptPositions(mask, positionShape: positionShape, operation: "distillationKLDivergence")
    let studentRows = studentLogits.classRows(classAxis: -1, operation: "distillationKLDivergence")
    let teacherRows = teacherLogits.classRows(classAxis: -1, operation: "distillationKLDivergence")
    let (n, classes) = (studentRows.shape[0], studentRows.shape[1])
    let scale = temperature * temperature
    let (studentLog, teacherLog, perSample) = logSoftmaxRowPairs(studentRows, teacherRows, temperature: temperature, kept: kept) { _, ls, lt in
        var total: Float = 0
        for c in 0..<classes { total += Foundation.exp(lt[c]) * (lt[c] - ls[c]) }
        return total * scale
    }
    var result = perSample
    if Tensor.shouldRecord(studentRows, teacherRows) {
        let values = perSample.detached()
        result = perSample.recorded(inputs: [studentRows, teacherRows]) { g, needed in
            let gp = g.storage.pointer
            let ls = studentLog.storage.pointer, lt = teacherLog.storage.pointer, kl = values.storage.pointer
            var gradStudent: Tensor?, gradTeacher: Tensor?
            if needed[0] {
                gradStudent = Tensor(uninitialized: [n, classes])
                let d = gradStudent!.storage.pointer
                for i in 0..<n {
                    guard kept?[i] != false else { (d + i * classes).update(repeating: 0, count: classes); continue }
                    for c in 0..<classes {
                        let o = i * classes + c
                        d[o] = gp[i] * temperature * (Foundation.exp(ls[o]) - Foundation.exp(lt[o]))
                    }
                }
            }
            if needed[1] {
                gradTeacher = Tensor(uninitialized: [n, classes])
                let d = gradTeacher!.storage.pointer
                for i in 0..<n {
                    guard kept?[i] != false else { (d + i * classes).update(repeating: 0, count: classes); continue }
                    let divergence = kl[i] / scale
                    for c in 0..<classes {
                        let o = i * classes + c
                        d[o] = gp[i] * temperature * Foundation.exp(lt[o]) * (lt[o] - ls[o] - divergence)
                    }
                }
            }
            return [gradStudent, gradTeacher]
        }
    }
    let positions = kept.map { $0.lazy.filter { $0 }.count } ?? n
    return result.reshaped(positionShape).reducedLoss(reduction, batchSize: positions, meanCount: positions)
}

/// The generalized Jensen–Shannon divergence of GKD (Agarwal et al., 2024, eq. 1) between
/// the teacher's distribution `p = softmax(t/T)` and the student's `q = softmax(s/T)`, per
/// position: `β·KL(p ‖ m) + (1 − β)·KL(q ‖ m)` with the mixture `m = β·p + (1 − β)·q`, taken
/// in log space. As TRL's `GKDTrainer` defines the ends, `β = 0` is the forward KL
/// `KL(p ‖ q)` (word-level KD's, mass-covering) and `β = 1` the reverse `KL(q ‖ p)`
/// (mode-seeking); `β = 0.5` is the symmetric Jensen–Shannon divergence.
///
/// For logits `[N, C]` or any rank with the classes on the last axis (token logits
/// `[N, T, V]`). The teacher is a constant: gradients flow to the student only,
/// `∂/∂s_j = q_j (g_j − Σ_i q_i g_i) / T` with `g = (1 − β)(log q − log m)` (`log q − log p`
/// at `β = 1`, and `q − p` directly at `β = 0`). No `T²` factor, as in TRL.
///
/// `mask` (the logits' shape without the class axis) keeps its non-zero positions;
/// `.batchMean` and `.mean` divide by the positions kept.
public func generalizedJensenShannonDivergence(
    studentLogits: Tensor, teacherLogits: Tensor, beta: Float, temperature: Float = 1, mask: Tensor? = nil,
    reduction: LossReduction = .batchMean
) -> Tensor {
    let operation = "generalizedJensenShannonDivergence"
    precondition(studentLogits.rank >= 2 && studentLogits.shape == teacherLogits.shape,
                 "\(operation): student logits \(studentLogits.shape) and teacher logits \(teacherLogits.shape) must have one shape, [N, C] or [N, …, C]")
    precondition(temperature > 0 && (0...1).contains(beta), "\(operation): temperature \(temperature) must be positive and β \(beta) in [0, 1]")
    let positionShape = studentLogits.positionShape(classAxis: -1)
    let kept = keptPositions(mask, positionShape: positionShape, operation: operation)
    let studentRows = studentLogits.classRows(classAxis: -1, operation: operation)
    let teacherRows = teacherLogits.detached().classRows(classAxis: -1, operation: operation)
    let (n, classes) = (studentRows.shape[0], studentRows.shape[1])
    let inverse = 1 / temperature
    // The mixture's log-probabilities; not needed at the ends, where m is one of the two.
    let mixtureLog = Tensor(uninitialized: beta > 0 && beta < 1 ? studentRows.shape : [0])
    let mixture = mixtureLog.storage.pointer
    let (logBeta, logComplement) = (Foundation.log(beta), Foundation.log(1 - beta))
    let (studentLog, teacherLog, perPosition) = logSoftmaxRowPairs(studentRows, teacherRows, temperature: temperature, kept: kept) { offset, ls, lt in
        var total: Float = 0
        if beta == 0 {
            for c in 0..<classes { total += Foundation.exp(lt[c]) * (lt[c] - ls[c]) }
        } else if beta == 1 {
            for c in 0..<classes { total += Foundation.exp(ls[c]) * (ls[c] - lt[c]) }
        } else {
            let lm = mixture + offset
            for c in 0..<classes {
                let (a, b) = (lt[c] + logBeta, ls[c] + logComplement)
                let larger = Swift.max(a, b)
                let m = larger + Foundation.log(Foundation.exp(a - larger) + Foundation.exp(b - larger))
                lm[c] = m
                total += beta * Foundation.exp(lt[c]) * (lt[c] - m) + (1 - beta) * Foundation.exp(ls[c]) * (ls[c] - m)
            }
        }
        return total
    }
    var result = perPosition
    if Tensor.shouldRecord(studentRows) {
        result = perPosition.recorded(inputs: [studentRows]) { g, _ in
            let gp = g.storage.pointer
            let ls = studentLog.storage.pointer, lt = teacherLog.storage.pointer, lm = mixtureLog.storage.pointer
            let gradient = Tensor(uninitialized: [n, classes])
            let d = gradient.storage.pointer
            for i in 0..<n {
                let o = i * classes
                guard kept?[i] != false else { (d + o).update(repeating: 0, count: classes); continue }
                if beta == 0 {
                    for c in 0..<classes { d[o + c] = gp[i] * inverse * (Foundation.exp(ls[o + c]) - Foundation.exp(lt[o + c])) }
                    continue
                }
                // d = q ⊙ (g − ⟨q, g⟩), g the derivative in the probabilities.
                let reference = beta == 1 ? lt + o : lm + o
                let scale = beta == 1 ? 1 : 1 - beta
                var mean: Float = 0
                for c in 0..<classes { mean += Foundation.exp(ls[o + c]) * scale * (ls[o + c] - reference[c]) }
                for c in 0..<classes {
                    d[o + c] = gp[i] * inverse * Foundation.exp(ls[o + c]) * (scale * (ls[o + c] - reference[c]) - mean)
                }
            }
            withExtendedLifetime((studentLog, teacherLog, mixtureLog)) {}
            return [gradient]
        }
    }
    let positions = kept.map { $0.lazy.filter { $0 }.count } ?? n
    return result.reshaped(positionShape).reducedLoss(reduction, batchSize: positions, meanCount: positions)
}

/// Binary cross-entropy of logits `x` against targets `y` in [0, 1], computed stably as
/// `max(x, 0) − x·y + log(1 + e^(−|x|))`.
public func binaryCrossEntropy(logits: Tensor, targets: Tensor, reduction: LossReduction = .mean) -> Tensor {
    precondition(logits.shape == targets.shape, "binaryCrossEntropy: targets of shape \(targets.shape) do not match logits of shape \(logits.shape)")
    let pointwise = mapElements(logits, targets, BinaryCrossEntropyPointwise())
    var result = pointwise
    if Tensor.shouldRecord(logits, targets) {
        let x = logits.detached(), y = targets.detached()
        result = pointwise.recorded(inputs: [logits, targets]) { g, needed in
            [
                needed[0] ? mapElements(g, x, y, BinaryCrossEntropyLogitGradient()) : nil,
                needed[1] ? -g * x : nil,
            ]
        }
    }
    return result.reducedLoss(reduction, batchSize: logits.shape.first ?? 1)
}

/// Mean squared error `(a − b)²`.
public func meanSquaredError(_ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean) -> Tensor {
    let difference = prediction - target
    return (difference * difference).reducedLoss(reduction, batchSize: difference.shape.first ?? 1)
}

/// Mean absolute error `|a − b|`.
public func l1Loss(_ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean) -> Tensor {
    (prediction - target).abs().reducedLoss(reduction, batchSize: prediction.shape.first ?? 1)
}

/// Smooth L1 (Huber with `β`): `0.5·d²/β` where `|d| < β`, `|d| − 0.5β` elsewhere.
public func smoothL1Loss(_ prediction: Tensor, _ target: Tensor, beta: Float = 1, reduction: LossReduction = .mean) -> Tensor {
    precondition(beta > 0, "smoothL1Loss: beta \(beta) must be positive")
    let difference = prediction - target
    let magnitude = difference.abs()
    let pointwise = `where`(magnitude .< beta, difference * difference * (0.5 / beta), magnitude - 0.5 * beta)
    return pointwise.reducedLoss(reduction, batchSize: prediction.shape.first ?? 1)
}

/// Cosine similarity along `axis`: `a·b / max(‖a‖·‖b‖, ε)`.
public func cosineSimilarity(_ a: Tensor, _ b: Tensor, axis: Int = -1, epsilon: Float = 1e-8) -> Tensor {
    let dot = (a * b).sum(axes: [axis])
    let norms = a.norm(.l2, axes: [axis]) * b.norm(.l2, axes: [axis])
    return dot / maximum(norms, Tensor(epsilon))
}
