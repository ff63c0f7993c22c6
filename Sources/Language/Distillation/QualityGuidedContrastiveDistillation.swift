import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import Training

/// QCRD, quality-guided contrastive rationale distillation (Wang et al., 2024): the student
/// learns a question's positive rationales (the teacher's, sampled at a temperature and kept
/// by self-consistency) and unlearns a negative one (its own, sampled from the previous
/// iteration of the student), each weighted by an online discriminator's judgement of its
/// quality.
///
/// Each sample is one question's `M` positive sequences and one negative, `[M + 1, L]`, all
/// starting with the question's `promptLength` tokens. A sequence's score `s` is the
/// student's mean log-probability of its continuation. With the discriminator's probability
/// `D` that a sequence is a teacher's, the positives weigh `w⁺ = D(r⁺)` (normalised over the
/// question's positives) and the negative `w⁻ = 1 − D(r⁻)`, so a negative the discriminator
/// cannot tell from the teacher's (a correct one) is barely pushed away. The loss is
///
///     Σ_m w⁺_m · (−s⁺_m)  +  λ · −log[ Σ_m w⁺_m e^{s⁺_m/τ} / (Σ_m w⁺_m e^{s⁺_m/τ} + w⁻ e^{s⁻/τ}) ]
///
/// the quality-weighted likelihood of the positives and a many-to-one contrast of the
/// positives against the negative. The discriminator, a small GPT with a scalar head on the
/// last position, learns in a pass of its own before each student step to tell the
/// positives (1) from the negatives (0), each class weighing half.
///
/// The paper's official code is not public and its full text is not at hand here: this form
/// follows its abstract (temperature-sampled positives filtered by self-consistency, negatives
/// from the previous iteration's student, a contrastive loss weighted by an online
/// discriminator). What it leaves open, the score, the weights and the contrast's form, is
/// chosen as above and stated.
public struct QualityGuidedContrastiveDistillation: TrainingObjective {
    public let discriminator: SequenceDiscriminator
    public let promptLength: Int
    /// λ, the contrast's weight.
    public let contrastiveWeight: Float
    /// τ, the contrast's temperature on the sequence scores.
    public let temperature: Float
    /// Whether the discriminator weighs the sequences; without it every weight is 1 (the
    /// ablation without quality guidance).
    public let qualityGuided: Bool
    private let discriminatorOptimizer: Adam

    public init(discriminator: SequenceDiscriminator, promptLength: Int, contrastiveWeight: Float = 1, temperature: Float = 1,
                qualityGuided: Bool = true, discriminatorLearningRate: Float = 1e-3) {
        precondition(promptLength >= 1 && contrastiveWeight >= 0 && temperature > 0,
                     "QCRD: prompt length \(promptLength), λ \(contrastiveWeight), τ \(temperature)")
        (self.discriminator, self.promptLength, self.contrastiveWeight) = (discriminator, promptLength, contrastiveWeight)
        (self.temperature, self.qualityGuided) = (temperature, qualityGuided)
        discriminatorOptimizer = AdamW(learningRate: discriminatorLearningRate, weightDecay: 0)
    }

    /// The teacher's knowledge is in the positives already.
    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }
    public var optimizedModules: [OptimizedModule] {
        qualityGuided ? [OptimizedModule(name: "discriminator", module: discriminator, optimizer: discriminatorOptimizer, pass: .ownPass)] : []
    }

    public struct Prepared {
        /// Every sequence `[Q·(M + 1), L]`, question by question, the negative last.
        let sequences: Tensor
        /// What the student reads, `[Q·(M + 1), L − 1]`, and its next tokens with the
        /// question's positions marked `Batch.unlabeledMarker`.
        let inputs: Tensor, labels: Tensor
        let questions: Int, positives: Int
        /// 1 where a question's negative counts, 0 where it is no negative (`Batch.mask`).
        let negativeCounts: [Float]
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        guard batch.inputs.rank == 3, batch.inputs.shape[1] >= 2, batch.inputs.shape[2] > promptLength else {
            throw DataError("QCRD", "needs each sample as its positives and one negative, [M + 1, L] with L past the prompt of \(promptLength) tokens; the batch's inputs are \(batch.inputs.shape)")
        }
        let (questions, group, length) = (batch.inputs.shape[0], batch.inputs.shape[1], batch.inputs.shape[2])
        let sequences = batch.inputs.reshaped([questions * group, length])
        let (inputs, labels) = continuationTargets(sequences, promptLength: promptLength)
        return Prepared(sequences: sequences, inputs: inputs, labels: labels, questions: questions, positives: group - 1,
                        negativeCounts: batch.mask?.scalars ?? Array(repeating: 1, count: questions))
    }

    /// 1 for each positive and 0 for each negative, `[Q·(M + 1)]`.
    private func isPositive(_ prepared: Prepared) -> [Float] {
        (0..<(prepared.questions * (prepared.positives + 1))).map { $0 % (prepared.positives + 1) < prepared.positives ? 1 : 0 }
    }

    /// The discriminator's update: binary cross-entropy, positives against negatives, each
    /// class weighing half.
    public func loss(_ prepared: Prepared, student: Module, updating module: String, update: Int) throws -> (total: Tensor, parts: [String: Float]) {
        let targets = isPositive(prepared)
        let logits = discriminator.scores(prepared.sequences)
        let perSequence = binaryCrossEntropy(logits: logits, targets: Tensor(targets, shape: [targets.count]), reduction: .none)
        let classWeights = targets.map { $0 == 1 ? 0.5 / Float(prepared.questions * prepared.positives) : 0.5 / Float(prepared.questions) }
        let total = (perSequence * Tensor(classWeights, shape: [classWeights.count])).sum()
        return (total, ["discriminator": total.item])
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let (questions, positives) = (prepared.questions, prepared.positives)
        let group = positives + 1
        let logits = try student.outputs(for: Batch(inputs: prepared.inputs, labels: prepared.labels))
            .required(ModelOutputs.logitsName, of: "the student")
        let length = prepared.inputs.shape[1]
        let scoredPerSequence = Float(length - (promptLength - 1))
        let marker = Int(Batch.unlabeledMarker)
        let negativeLogLikelihood = crossEntropy(logits: logits, labels: prepared.labels, classAxis: -1, ignoreIndex: marker, reduction: .none)
        // s: each sequence's mean log-probability of its continuation, [Q, M + 1].
        let scores = (-negativeLogLikelihood.sum(axes: [1]) / scoredPerSequence).reshaped([questions, group])
        let (positiveWeights, negativeWeights) = weights(prepared)
        let positiveScores = scores.slice(axis: 1, start: 0, end: positives)
        let negativeScores = scores.slice(axis: 1, start: positives, end: group)
        let likelihood = -(positiveScores * positiveWeights).sum() / Float(questions)
        // −log of the positives' share, in log space: logsumexp over the positives against
        // logsumexp over all.
        let logWeights = concatenate([positiveWeights.log(), negativeWeights.log()], axis: 1)
        let contrastLogits = logWeights + scores / temperature
        let contrast = (contrastLogits.logSumExp(axes: [1]) - contrastLogits.slice(axis: 1, start: 0, end: positives).logSumExp(axes: [1])).mean()
        let total = likelihood + contrastiveWeight * contrast
        return (total, ["likelihood": likelihood.item, "contrast": contrast.item,
                        "negative_weight": negativeWeights.mean().item, "score_gap": (positiveScores.mean() - negativeScores.mean()).item])
    }

    /// The positives' weights `[Q, M]` (summing to 1 per question) and the negatives' `[Q, 1]`,
    /// from the discriminator without gradients (all 1/M and 1 without quality guidance).
    private func weights(_ prepared: Prepared) -> (positive: Tensor, negative: Tensor) {
        let (questions, positives) = (prepared.questions, prepared.positives)
        guard qualityGuided else {
            return (Tensor.full([questions, positives], value: 1 / Float(positives)),
                    Tensor(prepared.negativeCounts.map { max($0, 1e-6) }, shape: [questions, 1]))
        }
        let probabilities = withoutGradients { discriminator.scores(prepared.sequences).sigmoid() }.scalars
        var positive = [Float](), negative = [Float]()
        for question in 0..<questions {
            let row = probabilities[(question * (positives + 1))..<((question + 1) * (positives + 1))]
            let kept = row.prefix(positives).map { max($0, 1e-6) }
            let total = kept.reduce(0, +)
            positive += kept.map { $0 / total }
            negative.append(max((1 - row.last!) * prepared.negativeCounts[question], 1e-6))
        }
        return (Tensor(positive, shape: [questions, positives]), Tensor(negative, shape: [questions, 1]))
    }
}

/// A sequence's quality as one logit: a GPT trunk read at the last position, then a linear
/// head (QCRD's online discriminator).
public final class SequenceDiscriminator: Module {
    public let trunk: GPT
    public let head: Linear

    public init(_ configuration: GPT.Configuration, using generator: inout RandomGenerator) {
        trunk = GPT(configuration, using: &generator)
        head = Linear(configuration.embedding, 1, using: &generator)
        super.init()
    }

    /// One logit per sequence of `sequences` `[N, L]`: `[N]`.
    public func scores(_ sequences: Tensor) -> Tensor {
        let (count, length) = (sequences.shape[0], sequences.shape[1])
        let last = trunk.hiddenStates(sequences, cache: nil).slice(axis: 1, start: length - 1, end: length)
        return head(last.reshaped([count, trunk.configuration.embedding])).reshaped([count])
    }

    public override func forward(_ input: Tensor) -> Tensor { scores(input) }
}

/// Self-consistency (Wang et al., 2023) as QCRD denoises its positives: of a question's
/// sampled rationales, those that state the answer most of them state.
public enum SelfConsistency {
    /// The answer stated most often in `answers` (nil ones do not vote; a tie goes to the
    /// answer stated first), or nil when none is stated.
    public static func majority(_ answers: [Int?]) -> Int? {
        var votes: [Int: Int] = [:], order: [Int] = []
        for answer in answers.compactMap({ $0 }) {
            if votes[answer] == nil { order.append(answer) }
            votes[answer, default: 0] += 1
        }
        let most = votes.values.max()
        return order.first { votes[$0] == most }
    }

    /// The indices of `answers` that state their majority.
    public static func agreeing(_ answers: [Int?]) -> [Int] {
        guard let majority = majority(answers) else { return [] }
        return answers.indices.filter { answers[$0] == majority }
    }
}
