import Datasets
import Distillation
import NN
import Tensors
import Training

/// Distilling a language model from a `GPT` teacher, sequence by sequence: word-level KD,
/// sequence-level KD (Kim & Rush, 2016) and GKD's on-policy distillation (Agarwal et al.,
/// 2024) are one objective with three settings.
///
/// Each batch of token windows is cut after `promptLength` tokens. With probability
/// `onPolicyFraction` (GKD's λ) the student continues the prompts itself, sampling by
/// `studentSampling`; otherwise the continuation comes from `offPolicy`: the data's own, or
/// the teacher's (sequence-level KD). The student is then scored on the continuation's
/// positions (from the prompt's last token on) by `divergence`: the generalized JSD against
/// the teacher's distribution at each position (β = 0 is word-level KD's forward KL), or
/// cross-entropy with the continuation's tokens (Kim & Rush's hard targets).
///
/// Generation runs in `prepare`, without gradients: as in the paper, nothing is
/// differentiated through the sampling.
public struct LanguageModelDistillation: TrainingObjective {
    /// How the teacher writes a continuation for sequence-level KD.
    public enum TeacherDecoding: Equatable, Sendable {
        /// Token by token by a sampling rule (`.greedy` is Kim & Rush's cheap approximation).
        case sampled(TokenSampling)
        /// Beam search with this many beams, the mode Kim & Rush train on.
        case beamSearch(beams: Int)
    }

    /// Where the off-policy continuations come from.
    public enum OffPolicySource: Equatable, Sendable {
        case data
        case teacher(TeacherDecoding)
    }

    /// What the student is scored by on the continuation.
    public enum Divergence: Equatable, Sendable {
        /// GKD's generalized Jensen–Shannon divergence at `temperature`, per position.
        case generalizedJSD(beta: Float, temperature: Float = 1)
        /// Cross-entropy with the continuation's own next tokens.
        case crossEntropy
    }

    public let teacherModel: GPT
    public let divergence: Divergence
    public let onPolicyFraction: Float
    public let offPolicy: OffPolicySource
    public let promptLength: Int
    public let studentSampling: TokenSampling
    /// Judges the teacher's continuations: those it rejects are left out of the loss.
    public let teacherFilter: PerplexityFilter?

    /// - Parameters:
    ///   - promptLength: tokens of each window kept as the prompt (at least 1); the rest is
    ///     the continuation. With 1 and data continuations, every position is scored, as in
    ///     word-level KD.
    ///   - studentSampling: how the student draws its on-policy continuations (GKD samples at
    ///     temperature 1).
    ///   - teacherFilter: a defence that leaves the teacher's continuations it rejects out of
    ///     the loss (continuations from the data or the student are not judged).
    public init(teacher: GPT, divergence: Divergence, onPolicyFraction: Float = 0, offPolicy: OffPolicySource = .data,
                promptLength: Int = 1, studentSampling: TokenSampling = TokenSampling(temperature: 1), teacherFilter: PerplexityFilter? = nil) {
        precondition((0...1).contains(onPolicyFraction) && promptLength >= 1,
                     "LanguageModelDistillation: on-policy fraction \(onPolicyFraction), prompt length \(promptLength)")
        if case .generalizedJSD(let beta, let temperature) = divergence {
            precondition((0...1).contains(beta) && temperature > 0, "LanguageModelDistillation: β \(beta), temperature \(temperature)")
        }
        (teacherModel, self.divergence, self.onPolicyFraction, self.offPolicy) = (teacher, divergence, onPolicyFraction, offPolicy)
        (self.promptLength, self.studentSampling, self.teacherFilter) = (promptLength, studentSampling, teacherFilter)
    }

    /// Word-level KD (Kim & Rush, 2016): the forward KL to the teacher at every position of
    /// the data.
    public static func wordLevel(teacher: GPT) -> Self { Self(teacher: teacher, divergence: .generalizedJSD(beta: 0)) }

    /// Sequence-level KD (Kim & Rush, 2016): cross-entropy with the teacher's own
    /// continuations of each window's first `promptLength` tokens.
    public static func sequenceLevel(teacher: GPT, decoding: TeacherDecoding = .sampled(.greedy), promptLength: Int) -> Self {
        Self(teacher: teacher, divergence: .crossEntropy, offPolicy: .teacher(decoding), promptLength: promptLength)
    }

    /// GKD (Agarwal et al., 2024): the generalized JSD at `beta`, on the student's own
    /// continuations for a fraction `onPolicyFraction` of the batches and the data's
    /// otherwise.
    public static func generalized(teacher: GPT, beta: Float, onPolicyFraction: Float, promptLength: Int) -> Self {
        Self(teacher: teacher, divergence: .generalizedJSD(beta: beta), onPolicyFraction: onPolicyFraction, promptLength: promptLength)
    }

    public var teacher: (any Teacher)? { ModelTeacher(teacherModel) }
    public var trainableModules: [Module] { [] }

    public struct Prepared {
        /// The windows read, `[B, T]`, and their next tokens `[B, T]` (before the
        /// prompt's last position: `Batch.unlabeledMarker`).
        let inputs: Tensor, labels: Tensor
        /// 1 at the scored positions, `[B, T]`.
        let mask: Tensor
        let teacherLogits: Tensor?
        let onPolicy: Bool
        /// Rows the teacher filter kept (all, without one).
        let keptRows: Int
    }

    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> Prepared {
        guard let studentModel = student as? GPT else {
            throw DataError("language-model distillation", "needs a GPT student; this one is a \(type(of: student))")
        }
        guard let labels = batch.labels, batch.inputs.rank == 2, labels.shape == batch.inputs.shape else {
            throw DataError("language-model distillation", "needs token windows with next-token labels [B, T]; the batch's inputs are \(batch.inputs.shape)")
        }
        let (rows, length) = (batch.inputs.shape[0], batch.inputs.shape[1])
        guard promptLength <= length else {
            throw DataError("language-model distillation", "a prompt of \(promptLength) tokens does not fit windows of \(length)")
        }
        // The window and its last label: T + 1 tokens, of which the first P are the prompt.
        let data = concatenate([batch.inputs, labels.slice(axis: 1, start: length - 1, end: length)], axis: 1)
        let prompts = batch.inputs.slice(axis: 1, start: 0, end: promptLength)
        let count = length + 1 - promptLength
        let onPolicy = onPolicyFraction > 0 && generator.nextUniform() < onPolicyFraction
        let sequence: Tensor
        if onPolicy {
            sequence = studentModel.sample(continuing: prompts, count: count, sampling: studentSampling, using: &generator)
        } else {
            switch offPolicy {
            case .data: sequence = data
            case .teacher(.sampled(let sampling)):
                sequence = teacherModel.sample(continuing: prompts, count: count, sampling: sampling, using: &generator)
            case .teacher(.beamSearch(let beams)):
                let rowsTokens = withoutGradients {
                    (0..<rows).map { row in
                        let prompt = prompts.slice(axis: 0, start: row, end: row + 1).integerScalars
                        return prompt + teacherModel.beamSearch(after: prompt, count: count, beams: beams)
                    }
                }
                sequence = Tensor(rowsTokens.flatMap { $0.map(Float.init) }, shape: [rows, length + 1])
            }
        }
        let inputs = sequence.slice(axis: 1, start: 0, end: length)
        let written = !onPolicy && offPolicy != .data
        let kept = written ? teacherFilter?.passes(sequence, promptLength: promptLength) ?? Array(repeating: true, count: rows)
                           : Array(repeating: true, count: rows)
        let scored = { (index: Int) in kept[index / length] && index % length >= promptLength - 1 }
        let nextTokens = sequence.slice(axis: 1, start: 1, end: length + 1).scalars.enumerated().map {
            scored($0.offset) ? $0.element : Batch.unlabeledMarker
        }
        let mask = Tensor((0..<(rows * length)).map { scored($0) ? Float(1) : 0 }, shape: [rows, length])
        var teacherLogits: Tensor?
        if case .generalizedJSD = divergence {
            teacherLogits = try ModelTeacher(teacherModel).outputs(for: Batch(inputs: inputs, labels: nil), featurePaths: []).logits
        }
        return Prepared(inputs: inputs, labels: Tensor(nextTokens, shape: [rows, length]), mask: mask, teacherLogits: teacherLogits,
                        onPolicy: onPolicy, keptRows: kept.filter { $0 }.count)
    }

    public func loss(_ prepared: Prepared, student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let name: String
        if case .crossEntropy = divergence { name = "ce" } else { name = "jsd" }
        var parts: [String: Float] = ["on_policy": prepared.onPolicy ? 1 : 0]
        if teacherFilter != nil { parts["kept"] = Float(prepared.keptRows) / Float(prepared.inputs.shape[0]) }
        // A batch the filter emptied teaches nothing (and its mean would be 0/0).
        guard prepared.keptRows > 0 else {
            parts[name] = 0
            return (Tensor(0), parts)
        }
        let logits = try student.outputs(for: Batch(inputs: prepared.inputs, labels: prepared.labels))
            .required(ModelOutputs.logitsName, of: "the student")
        let loss: Tensor
        switch divergence {
        case .generalizedJSD(let beta, let temperature):
            loss = generalizedJensenShannonDivergence(studentLogits: logits, teacherLogits: prepared.teacherLogits!, beta: beta,
                                                      temperature: temperature, mask: prepared.mask)
        case .crossEntropy:
            loss = crossEntropy(logits: logits, labels: prepared.labels, classAxis: -1, mask: prepared.mask)
        }
        parts[name] = loss.item
        return (loss, parts)
    }
}
