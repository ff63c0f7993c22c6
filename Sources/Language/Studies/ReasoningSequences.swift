import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import Training

/// Question-and-continuation sequences of one length as token tensors, the training and the
/// decoding that rationale distillation shares with its baselines.
public struct ReasoningSequences {
    public let tokenizer: CharacterTokenizer
    /// Tokens in each question (the prompt).
    public let promptLength: Int

    public init(tokenizer: CharacterTokenizer, promptLength: Int) {
        precondition(promptLength >= 1, "ReasoningSequences: a prompt of \(promptLength) tokens")
        (self.tokenizer, self.promptLength) = (tokenizer, promptLength)
    }

    /// `texts`, each a question and its continuation, as tokens `[N, L]`; fails when they
    /// differ in length.
    public func tokens(_ texts: [String]) throws -> Tensor {
        let encoded = texts.map(tokenizer.encode)
        guard let length = encoded.first?.count, encoded.allSatisfy({ $0.count == length }) else {
            throw DataError("reasoning sequences", "needs texts of one length; their lengths run \(encoded.map(\.count).min() ?? 0)–\(encoded.map(\.count).max() ?? 0)")
        }
        return Tensor(encoded.flatMap { $0.map(Float.init) }, shape: [encoded.count, length])
    }

    /// Sequences `[N, L]` as a language-modelling set: each reads the first L − 1 tokens and
    /// is scored on the continuation only (the question's positions carry
    /// `Batch.unlabeledMarker`), as a sequence-to-sequence model is scored on its output.
    public func continuationDataset(_ sequences: Tensor) throws -> TensorDataset {
        let (inputs, labels) = continuationTargets(sequences, promptLength: promptLength)
        return try TensorDataset(inputs: inputs, labels: labels)
    }

    /// A GPT of `shape` over this tokenizer's vocabulary, reading `context` tokens, initialised
    /// from `seed`.
    public func gpt(_ shape: ModelShape, context: Int, seed: UInt64) -> GPT {
        var generator = RandomGenerator(seed: seed)
        return GPT(GPT.Configuration(vocabularySize: tokenizer.vocabularySize, contextLength: context, layers: shape.layers, heads: shape.heads,
                                     embedding: shape.width), using: &generator)
    }

    /// A GPT's depth, heads and width.
    public struct ModelShape: Sendable {
        public var layers: Int, heads: Int, width: Int
        public init(layers: Int, heads: Int, width: Int) { (self.layers, self.heads, self.width) = (layers, heads, width) }
    }

    /// Trains `model` by `objective` for `steps` steps of `batchSize` samples of `data` drawn
    /// by `seed` (with repetition across passes), AdamW at 3e-3 with weight decay 0.1.
    public static func train(_ model: Module, objective: some TrainingObjective, on data: some Dataset, steps: Int, batchSize: Int = 32,
                             seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        let passes = (steps * batchSize + data.count - 1) / data.count
        let order = (0..<passes).flatMap { _ in Tensor.permutation(data.count, using: &generator).integerScalars }
        let samples = Subset(data, indices: Array(order.prefix(steps * batchSize)))
        let options = TrainingOptions(epochs: 1, batchSize: batchSize, schedule: .constant(3e-3), seed: seed)
        let trainer = Trainer(student: model, objective: objective, optimizer: AdamW(learningRate: 3e-3, weightDecay: 0.1), options: options)
        _ = try trainer.fit(samples, validation: nil as TensorDataset?)
        model.eval()
    }

    /// `model`'s continuations of `questions` `[N, P]`, `count` tokens each by `sampling`,
    /// `samples` per question (row `i · samples + s` is question `i`'s `s`-th); in batches
    /// of 256 rows.
    public func continuations(of model: GPT, questions: Tensor, count: Int, samples: Int = 1, sampling: TokenSampling,
                              using generator: inout RandomGenerator) -> [[Int]] {
        let prompts = questions.repeatingRows(samples)
        var continuations: [[Int]] = []
        for start in stride(from: 0, to: prompts.shape[0], by: 256) {
            let end = min(start + 256, prompts.shape[0])
            let written = withoutGradients {
                model.sample(continuing: prompts.slice(axis: 0, start: start, end: end), count: count, sampling: sampling, using: &generator)
            }
            let width = written.shape[1]
            let tokens = written.integerScalars
            for row in 0..<(end - start) { continuations.append(Array(tokens[(row * width + promptLength)..<((row + 1) * width)])) }
        }
        return continuations
    }

    /// `continuation` as text (a model samples only tokens of its vocabulary, which all
    /// decode; a stray byte reads as U+FFFD).
    public func text(_ continuation: [Int]) -> String { (try? tokenizer.decode(continuation)) ?? "" }

    /// Each of `questions` followed by its continuation, as tokens `[N, P + C]`.
    public func joined(_ questions: Tensor, _ continuations: [[Int]]) -> Tensor {
        precondition(questions.shape[0] == continuations.count && Set(continuations.map(\.count)).count <= 1,
                     "joined: \(questions.shape[0]) questions, \(continuations.count) continuations of lengths \(Set(continuations.map(\.count)))")
        let width = continuations.first?.count ?? 0
        return concatenate([questions, Tensor(continuations.flatMap { $0.map(Float.init) }, shape: [continuations.count, width])], axis: 1)
    }
}

/// What a model reads of `sequences` `[N, L]`, their first L − 1 tokens, and the next token
/// at each position, `Batch.unlabeledMarker` before the prompt's last position: scored on
/// the continuation alone.
func continuationTargets(_ sequences: Tensor, promptLength: Int) -> (inputs: Tensor, labels: Tensor) {
    let (count, length) = (sequences.shape[0], sequences.shape[1])
    let next = sequences.slice(axis: 1, start: 1, end: length).scalars.enumerated().map {
        $0.offset % (length - 1) >= promptLength - 1 ? $0.element : Batch.unlabeledMarker
    }
    return (sequences.slice(axis: 1, start: 0, end: length - 1), Tensor(next, shape: [count, length - 1]))
}

extension Tensor {
    /// Each row of this `[N, P]` tensor `times` times in a row: `[N · times, P]`.
    func repeatingRows(_ times: Int) -> Tensor {
        reshaped([shape[0], 1, shape[1]]).repeated([1, times, 1]).reshaped([shape[0] * times, shape[1]])
    }
}
