import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import Training

/// `distill demo language`: on Tiny Shakespeare's characters, a GPT teacher, a smaller GPT
/// on the text alone, by word-level KD and by GKD, each with its validation loss, the
/// teacher's NLL of its samples, sampling speed and a sample. The recipes are the ones the
/// tests assert on.
public enum LanguageDemo {
    /// The corpus as character tokens, cut into windows of 32 with nanoGPT's 90/10 split.
    public struct Text {
        public let tokenizer: CharacterTokenizer
        public let train: TokenWindows, validation: TokenWindows
    }

    /// The context every model here reads.
    public static let context = 32

    public static func characterText() throws -> Text {
        let corpus = try TextCorpora.tinyShakespeare()
        let tokenizer = CharacterTokenizer(trainingText: corpus)
        let (train, validation) = try TokenWindows.split(tokenizer.encode(corpus), context: context, vocabularySize: tokenizer.vocabularySize,
                                                          source: "tinyshakespeare")
        return Text(tokenizer: tokenizer, train: train, validation: validation)
    }

    /// A 2-layer, 2-head GPT `width` wide over `text`'s vocabulary and windows, initialised
    /// from `seed`.
    public static func gpt(width: Int, for text: Text, seed: UInt64) -> GPT {
        var generator = RandomGenerator(seed: seed)
        return GPT(GPT.Configuration(vocabularySize: text.tokenizer.vocabularySize, contextLength: text.train.context, layers: 2, heads: 2,
                                     embedding: width), using: &generator)
    }

    /// Trains `model` by `loss` (from `teacher`, when given) for `steps` steps of 16 windows
    /// drawn by `seed`, with AdamW (3e-3, weight decay 0.1); its validation metrics on the
    /// first 512 windows, in inference mode.
    public static func train(_ model: GPT, _ loss: WeightedLoss, teacher: (any Teacher)?, steps: Int, on text: Text,
                             seed: UInt64) throws -> LanguageModelMetrics {
        try train(model, objective: DistillationObjective(teacher: teacher, loss: loss), steps: steps, on: text, seed: seed)
    }

    /// Trains `model` by `objective`, as `train(_:_:teacher:steps:on:seed:)` does.
    public static func train(_ model: GPT, objective: some TrainingObjective, steps: Int, on text: Text,
                             seed: UInt64) throws -> LanguageModelMetrics {
        var generator = RandomGenerator(seed: seed)
        let windows = Subset(text.train, indices: Array(Tensor.permutation(text.train.count, using: &generator).integerScalars.prefix(steps * 16)))
        var options = TrainingOptions(epochs: 1, batchSize: 16, schedule: .constant(3e-3), seed: seed)
        options.evaluation = LanguageModelEvaluation(limit: 512)
        let trainer = Trainer(student: model, objective: objective, optimizer: AdamW(learningRate: 3e-3, weightDecay: 0.1), options: options)
        let history = try trainer.fit(windows, validation: text.validation)
        model.eval()
        guard let metrics = history.last?.validation.flatMap(LanguageModelMetrics.init) else {
            throw DataError("tinyshakespeare", "training recorded no language-model evaluation")
        }
        return metrics
    }

    /// Cross-entropy on the text alone.
    public static func textAlone() -> WeightedLoss { WeightedLoss([(1, CrossEntropyTerm())]) }

    /// Word-level KD (Kim & Rush, 2016): the cross-entropy against the teacher's distribution
    /// at every position, KD at T = 1 alone.
    public static func wordLevel() -> WeightedLoss { WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 1))]) }

    /// GKD (Agarwal et al., 2024) at TRL's defaults: the generalized JSD at β = 0.5, on the
    /// student's own continuations of 8-token prompts for half the batches.
    public static func generalized(teacher: GPT) -> LanguageModelDistillation {
        .generalized(teacher: teacher, beta: 0.5, onPolicyFraction: 0.5, promptLength: 8)
    }

    /// How likely `teacher` finds `student`'s writing: the teacher's NLL per token of the
    /// student's continuations (temperature 1, seeded) of 64 validation prompts of 8 tokens,
    /// 24 tokens each. GKD's measure of sample quality.
    public static func teacherNLLOfSamples(from student: GPT, teacher: GPT, on text: Text) -> Double {
        let windows = Array(stride(from: 0, to: text.validation.count, by: text.validation.count / 64).prefix(64))
        let prompts = text.validation.batch(at: windows).inputs.slice(axis: 1, start: 0, end: 8)
        var generator = RandomGenerator(seed: 5)
        let samples = student.sample(continuing: prompts, count: 24, sampling: TokenSampling(temperature: 1), using: &generator)
        return teacher.negativeLogLikelihood(of: samples, after: 8)
    }

    /// One line of the table.
    public struct Row: Sendable {
        public let model: String
        public let parameters: Int
        public let validationLoss: Double
        /// `teacherNLLOfSamples`: how likely the teacher finds this model's samples.
        public let teacherNLLOfSamples: Double
        /// Tokens sampled per second, one sequence, with the key-value cache.
        public let tokensPerSecond: Double
        public let sample: String
    }

    /// A student (48 wide) trained `steps` steps by word-level KD from `teacher`, as the start
    /// of on-policy distillation (GKD and MiniLLM start from a trained student: an untrained
    /// one's samples teach it nothing).
    public static func warmStudent(teacher: GPT, width: Int = 48, steps: Int, on text: Text, seed: UInt64) throws -> [String: Tensor] {
        let warm = gpt(width: width, for: text, seed: seed)
        _ = try train(warm, objective: LanguageModelDistillation.wordLevel(teacher: teacher), steps: steps, on: text, seed: seed)
        return warm.stateDict().mapValues { Tensor($0.scalars, shape: $0.shape) }
    }

    /// A student (48 wide) holding `start`, trained `steps` more steps by `objective` (batches
    /// drawn by `seed`), and its metrics.
    public static func continued(from start: [String: Tensor], width: Int = 48, by objective: some TrainingObjective, steps: Int,
                                 on text: Text, seed: UInt64) throws -> (model: GPT, metrics: LanguageModelMetrics) {
        let model = gpt(width: width, for: text, seed: seed)
        try model.loadStateDict(start)
        return (model, try train(model, objective: objective, steps: steps, on: text, seed: seed))
    }

    /// The teacher (128 wide, 1,200 steps), and 48-wide students of 600 steps each: alone, by
    /// word-level KD, and by 300 steps of word-level KD then 300 of GKD. `progress` hears each
    /// model's name as it starts.
    public static func run(progress: (String) -> Void = { _ in }) throws -> [Row] {
        let text = try characterText()
        progress("teacher")
        let teacher = gpt(width: 128, for: text, seed: 20)
        let teacherMetrics = try train(teacher, textAlone(), teacher: nil, steps: 1200, on: text, seed: 20)
        func row(_ name: String, _ model: GPT, _ metrics: LanguageModelMetrics) throws -> Row {
            var generator = RandomGenerator(seed: 2)
            let prompt = text.tokenizer.encode("ROMEO:\n")
            let start = Date()
            let tokens = model.generate(after: prompt, count: 200, sampling: TokenSampling(temperature: 0.8), using: &generator)
            let seconds = Date().timeIntervalSince(start)
            return Row(model: name, parameters: model.parameterCount, validationLoss: metrics.loss,
                       teacherNLLOfSamples: teacherNLLOfSamples(from: model, teacher: teacher, on: text),
                       tokensPerSecond: Double(tokens.count) / seconds, sample: try text.tokenizer.decode(Array(tokens.prefix(80))))
        }
        var rows = [try row("teacher (2 × 128, 1,200 steps)", teacher, teacherMetrics)]
        progress("student alone")
        let alone = gpt(width: 48, for: text, seed: 21)
        rows.append(try row("student alone (2 × 48, 600 steps)", alone, try train(alone, textAlone(), teacher: nil, steps: 600, on: text, seed: 21)))
        progress("students by word-level KD and by GKD")
        let start = try warmStudent(teacher: teacher, steps: 300, on: text, seed: 21)
        for (name, objective) in [("student by word-level KD (600 steps)", LanguageModelDistillation.wordLevel(teacher: teacher)),
                                  ("student by GKD (300 word-level + 300 GKD steps)", generalized(teacher: teacher))] {
            let (model, metrics) = try continued(from: start, by: objective, steps: 300, on: text, seed: 121)
            rows.append(try row(name, model, metrics))
        }
        return rows
    }

    /// The rows as a Markdown table, then each model's sample.
    public static func table(_ rows: [Row]) -> String {
        let table = ["| model | params | val loss | teacher NLL of its samples | sampling tokens/s |", "|---|---|---|---|---|"] + rows.map {
            String(format: "| %@ | %d | %.3f | %.3f | %.0f |", $0.model, $0.parameters, $0.validationLoss, $0.teacherNLLOfSamples, $0.tokensPerSecond)
        }
        let samples = rows.map { "\($0.model):\n\($0.sample)" }
        return (table + [""] + samples).joined(separator: "\n")
    }
}
