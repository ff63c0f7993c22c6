import Foundation
import Datasets
import Distillation
import NN
import Tensors
import Training

/// MiniLLM (Gu et al., 2024): the student minimises the reverse KL `KL(q_θ ‖ p)` of its own
/// sequences from the teacher's, by policy gradient with the paper's three refinements.
///
/// Each batch's windows are cut after `promptLength` tokens and continued by sampling from
/// the teacher-mixed distribution `p̃ = α·p + (1 − α)·q_θ` (α = `teacherMixture`), which keeps
/// an early student's samples from degenerating. Each continuation token `y_t` earns the
/// reward `r_t = log p(y_t | y<t) − log q_θ(y_t | y<t)` and carries the per-token importance
/// weight `w_t = q_θ(y_t)/p̃(y_t)`. The loss, on the continuation's positions, is
///
///     Σ_t w_t · [ KL(q_θ(·|y<t) ‖ p(·|y<t)) − A_t · log q_θ(y_t | y<t) ] / tokens
///
/// - the first term is the single-step decomposition: the next token's part of the reverse
///   KL, computed exactly over the vocabulary, with no sampling variance;
/// - `A_t` is the length-normalised return of the tokens after `t`,
///   `R_{t+1} = mean(r_{t+1}, …, r_T)` (0 for the last token). The official code also whitens
///   the returns over the batch (`whitensReturns`); on Tiny Shakespeare that made the
///   teacher's NLL of the student's samples worse (2.50 against 2.41 unwhitened, seed 21), so
///   the paper's form is the default.
///
/// One update per rollout, so the official PPO ratio is 1 and its clipping idle; the
/// language-modelling loss on pre-training data the paper adds is left to the data's own
/// objective.
public struct MiniLLM: TrainingObjective {
    public let teacherModel: GPT
    public let teacherMixture: Float
    public let promptLength: Int
    public let whitensReturns: Bool

    /// - Parameters:
    ///   - teacherMixture: the paper's α (0.2), the teacher's share of the sampling mixture.
    ///   - promptLength: tokens of each window kept as the prompt (at least 1).
    public init(teacher: GPT, teacherMixture: Float = 0.2, promptLength: Int, whitensReturns: Bool = false) {
        precondition((0..<1).contains(teacherMixture) && promptLength >= 1, "MiniLLM: α \(teacherMixture), prompt length \(promptLength)")
        (teacherModel, self.teacherMixture, self.promptLength, self.whitensReturns) = (teacher, teacherMixture, promptLength, whitensReturns)
    }

    public var teacher: (any Teacher)? { ModelTeacher(teacherModel) }
    public var trainableModules: [Module] { [] }

    public struct Prepared {
        let inputs: Tensor, tokens: Tensor
        let teacherLogits: Tensor
        /// log p(y_t | y<t) of each position's sampled token, `[B·T]`.
        let teacherTokenLogProbabilities: [Float]
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        guard let studentModel = student as? GPT else {
            throw DataError("MiniLLM", "needs a GPT student; this one is a \(type(of: student))")
        }
        guard batch.inputs.rank == 2, promptLength < batch.inputs.shape[1] else {
            throw DataError("MiniLLM", "needs token windows [B, T] longer than the prompt of \(promptLength); the batch's inputs are \(batch.inputs.shape)")
        }
        let length = batch.inputs.shape[1]
        let alpha = teacherMixture
        let mixed = TokenSampling(temperature: 1)
        let sequence = continueTogether(batch.inputs.slice(axis: 1, start: 0, end: promptLength), count: length + 1 - promptLength,
                                        decoders: [IncrementalDecoder(studentModel), IncrementalDecoder(teacherModel)]) { logits in
            let (q, p) = (mixed.probabilities(logits[0]), mixed.probabilities(logits[1]))
            return TokenSampling.draw(from: zip(q, p).map { (1 - alpha) * $0 + alpha * $1 }, using: &generator)
        }
        let inputs = sequence.slice(axis: 1, start: 0, end: length), tokens = sequence.slice(axis: 1, start: 1, end: length + 1)
        let teacherLogits = withoutGradients { teacherModel.logits(inputs, cache: nil) }
        let teacherLog = teacherLogits.logSoftmax(axis: -1).scalars
        let vocabulary = teacherModel.configuration.vocabularySize
        let teacherTokenLog = tokens.integerScalars.enumerated().map { teacherLog[$0.offset * vocabulary + $0.element] }
        return Prepared(inputs: inputs, tokens: tokens, teacherLogits: teacherLogits, teacherTokenLogProbabilities: teacherTokenLog)
    }

    /// The per-position importance weights `w_t` and `w_t·A_t` (0 before the prompt's last
    /// position), and the mean reward, from the student's and the teacher's log-probabilities
    /// of the sampled tokens (`[B·T]` each).
    private func weightsAndReturns(studentLog: [Float], teacherLog: [Float], rows: Int, length: Int)
        -> (weights: [Float], weightedReturns: [Float], scored: Int, meanReward: Float) {
        let alpha = teacherMixture, first = promptLength - 1
        var weights = [Float](repeating: 0, count: rows * length), returns = [Float](repeating: 0, count: rows * length)
        var rewardTotal: Float = 0
        for row in 0..<rows {
            var rewards = [Float](repeating: 0, count: length)
            for position in first..<length {
                let index = row * length + position
                rewards[position] = teacherLog[index] - studentLog[index]
                weights[index] = 1 / ((1 - alpha) + alpha * Foundation.exp(rewards[position]))
            }
            rewardTotal += rewards[first...].reduce(0, +)
            // R_{t+1}: the mean reward of the tokens after t.
            var later: Float = 0
            for position in stride(from: length - 1, through: first, by: -1) {
                let remaining = length - 1 - position
                returns[row * length + position] = remaining > 0 ? later / Float(remaining) : 0
                later += rewards[position]
            }
        }
        let scored = (0..<(rows * length)).filter { $0 % length >= first }
        if whitensReturns {
            let values = scored.map { returns[$0] }
            let mean = values.reduce(0, +) / Float(values.count)
            let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)).squareRoot()
            for index in scored { returns[index] = (returns[index] - mean) / (deviation + 1e-8) }
        }
        return (weights, zip(weights, returns).map { $0 * $1 }, scored.count, rewardTotal / Float(scored.count))
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let logits = try student.outputs(for: Batch(inputs: prepared.inputs, labels: nil)).required(ModelOutputs.logitsName, of: "the student")
        let (rows, length) = (prepared.inputs.shape[0], prepared.inputs.shape[1])
        // −log q_θ(y_t) per position: the surrogate's factor, and (detached) the rewards' q.
        let negativeLogLikelihood = crossEntropy(logits: logits, labels: prepared.tokens, classAxis: -1, reduction: .none)
        let (weights, weightedReturns, scored, meanReward) = weightsAndReturns(
            studentLog: negativeLogLikelihood.scalars.map { -$0 }, teacherLog: prepared.teacherTokenLogProbabilities, rows: rows, length: length)
        let count = Float(scored)
        let reverseKL = generalizedJensenShannonDivergence(studentLogits: logits, teacherLogits: prepared.teacherLogits, beta: 1, reduction: .none)
        let single = (reverseKL * Tensor(weights, shape: [rows, length])).sum() / count
        // The policy-gradient surrogate −Σ w·A·log q.
        let long = (negativeLogLikelihood * Tensor(weightedReturns, shape: [rows, length])).sum() / count
        return (single + long, ["single_step_kl": single.item, "long_term": long.item, "reward": meanReward])
    }
}
