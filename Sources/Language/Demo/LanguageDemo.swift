import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import Training

/// `distill demo language`: on Tiny Shakespeare's characters, a GPT teacher, a smaller GPT
/// on the text alone and the same GPT by word-level KD, each with its validation loss,
/// sampling speed and a sample. The recipes are the ones the tests assert on.
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

    /// A 2-layer, 2-head GPT `width` wide over `text`'s vocabulary, initialised from `seed`.
    public static func gpt(width: Int, for text: Text, seed: UInt64) -> GPT {
        var generator = RandomGenerator(seed: seed)
        return GPT(GPT.Configuration(vocabularySize: text.tokenizer.vocabularySize, contextLength: context, layers: 2, heads: 2, embedding: width),
                   using: &generator)
    }

    /// Trains `model` by `loss` (from `teacher`, when given) for `steps` steps of 16 windows
    /// drawn by `seed`, with AdamW (3e-3, weight decay 0.1); its validation metrics on the
    /// first 512 windows, in inference mode.
    public static func train(_ model: GPT, _ loss: WeightedLoss, teacher: (any Teacher)?, steps: Int, on text: Text,
                             seed: UInt64) throws -> LanguageModelMetrics {
        var generator = RandomGenerator(seed: seed)
        let windows = Subset(text.train, indices: Array(Tensor.permutation(text.train.count, using: &generator).integerScalars.prefix(steps * 16)))
        var options = TrainingOptions(epochs: 1, batchSize: 16, schedule: .constant(3e-3), seed: seed)
        options.evaluation = LanguageModelEvaluation(limit: 512)
        let trainer = Trainer(student: model, objective: DistillationObjective(teacher: teacher, loss: loss),
                              optimizer: AdamW(learningRate: 3e-3, weightDecay: 0.1), options: options)
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

    /// One line of the table.
    public struct Row: Sendable {
        public let model: String
        public let parameters: Int
        public let validationLoss: Double
        /// Tokens sampled per second, one sequence, with the key-value cache.
        public let tokensPerSecond: Double
        public let sample: String
    }

    /// The teacher (128 wide, 1,200 steps), and the 48-wide student alone and by word-level
    /// KD (400 steps each); `progress` hears each model's name as it starts.
    public static func run(progress: (String) -> Void = { _ in }) throws -> [Row] {
        let text = try characterText()
        func row(_ name: String, _ model: GPT, _ metrics: LanguageModelMetrics) throws -> Row {
            var generator = RandomGenerator(seed: 2)
            let prompt = text.tokenizer.encode("ROMEO:\n")
            let start = Date()
            let tokens = model.generate(after: prompt, count: 200, sampling: TokenSampling(temperature: 0.8), using: &generator)
            let seconds = Date().timeIntervalSince(start)
            return Row(model: name, parameters: model.parameterCount, validationLoss: metrics.loss, tokensPerSecond: Double(tokens.count) / seconds,
                       sample: try text.tokenizer.decode(Array(tokens.prefix(80))))
        }
        progress("teacher")
        let teacher = gpt(width: 128, for: text, seed: 20)
        var rows = [try row("teacher (2 × 128, 1,200 steps)", teacher, try train(teacher, textAlone(), teacher: nil, steps: 1200, on: text, seed: 20))]
        progress("student alone")
        let alone = gpt(width: 48, for: text, seed: 21)
        rows.append(try row("student alone (2 × 48, 400 steps)", alone, try train(alone, textAlone(), teacher: nil, steps: 400, on: text, seed: 21)))
        progress("student by word-level KD")
        let distilled = gpt(width: 48, for: text, seed: 21)
        rows.append(try row("student by word-level KD (400 steps)", distilled,
                            try train(distilled, wordLevel(), teacher: ModelTeacher(teacher), steps: 400, on: text, seed: 21)))
        return rows
    }

    /// The rows as a Markdown table, then each model's sample.
    public static func table(_ rows: [Row]) -> String {
        let table = ["| model | params | val loss | sampling tokens/s |", "|---|---|---|---|"] + rows.map {
            String(format: "| %@ | %d | %.3f | %.0f |", $0.model, $0.parameters, $0.validationLoss, $0.tokensPerSecond)
        }
        let samples = rows.map { "\($0.model):\n\($0.sample)" }
        return (table + [""] + samples).joined(separator: "\n")
    }
}
