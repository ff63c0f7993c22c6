import Foundation
import NN
import Tensors

/// How the next token is chosen from a language model's scores: the most likely one
/// (greedy), or a draw from the softmax at `temperature`, restricted to the `topK` most
/// likely tokens and to the smallest set whose probability reaches `topP` (nucleus
/// sampling, Holtzman et al., 2020).
public struct TokenSampling: Equatable, Sendable {
    public var temperature: Float
    public var topK: Int?
    public var topP: Float?

    /// The most likely token, always.
    public static let greedy = TokenSampling(temperature: 0)

    /// `temperature` 0 is greedy.
    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) {
        precondition(temperature >= 0 && (topK ?? 1) >= 1 && (topP ?? 1) > 0 && (topP ?? 1) <= 1,
                     "TokenSampling: temperature \(temperature), top-k \(String(describing: topK)), top-p \(String(describing: topP))")
        (self.temperature, self.topK, self.topP) = (temperature, topK, topP)
    }

    /// The probability of each token under this rule (zero outside the kept set), from one
    /// position's `logits`.
    public func probabilities(_ logits: [Float]) -> [Float] {
        let largest = logits.max()!
        if temperature == 0 {
            var one = [Float](repeating: 0, count: logits.count)
            one[logits.firstIndex(of: largest)!] = 1
            return one
        }
        guard topK != nil || topP != nil else {
            // The whole softmax: no order needed (sampling calls this per token per row).
            let weights = logits.map { expf(($0 - largest) / temperature) }
            let total = weights.reduce(0, +)
            return weights.map { $0 / total }
        }
        var order = Array(logits.indices).sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        if let topK { order = Array(order.prefix(topK)) }
        var weights = order.map { expf((logits[$0] - largest) / temperature) }
        var total = weights.reduce(0, +)
        if let topP {
            // The smallest prefix of the most likely tokens whose probability reaches p.
            var (kept, cumulative) = (0, Float(0))
            while kept < weights.count && cumulative < topP * total { cumulative += weights[kept]; kept += 1 }
            (order, weights, total) = (Array(order.prefix(kept)), Array(weights.prefix(kept)), cumulative)
        }
        var result = [Float](repeating: 0, count: logits.count)
        for (token, weight) in zip(order, weights) { result[token] = weight / total }
        return result
    }

    /// A token drawn by this rule from `logits`.
    public func draw(_ logits: [Float], using generator: inout RandomGenerator) -> Int {
        let probabilities = probabilities(logits)
        if temperature == 0 { return probabilities.firstIndex(of: 1)! }
        return Self.draw(from: probabilities, using: &generator)
    }

    /// A token drawn from `probabilities` (summing to 1) by one uniform number.
    public static func draw(from probabilities: [Float], using generator: inout RandomGenerator) -> Int {
        var remaining = generator.nextUniform()
        var last = 0
        for (token, probability) in probabilities.enumerated() where probability > 0 {
            last = token
            remaining -= probability
            if remaining < 0 { return token }
        }
        return last
    }
}

/// A batch of sequences decoded together over one key-value cache: the first `next` reads
/// the prompts, each later one the tokens chosen last, and each returns every row's scores
/// for the position after. Within the context length.
struct IncrementalDecoder {
    let model: GPT
    private let cache: KeyValueCache

    init(_ model: GPT) {
        self.model = model
        cache = KeyValueCache(layers: model.configuration.layers)
    }

    /// The next position's logits, one row per sequence, after reading `tokens` `[B, n]`.
    func next(reading tokens: Tensor) -> [[Float]] {
        let rows = tokens.shape[0], vocabulary = model.configuration.vocabularySize
        let logits = withoutGradients { model.logits(tokens, cache: cache) }
        let positions = logits.shape[1]
        let last = logits.slice(axis: 1, start: positions - 1, end: positions).reshaped([rows, vocabulary]).scalars
        return (0..<rows).map { Array(last[($0 * vocabulary)..<(($0 + 1) * vocabulary)]) }
    }
}

/// Continues `prompts` `[B, P]` by `count` tokens, each row's next token chosen by `choose`
/// from every decoder's logits for that row (in `decoders`' order): `[B, P + count]`.
func continueTogether(_ prompts: Tensor, count: Int, decoders: [IncrementalDecoder], choose: (_ logits: [[Float]]) -> Int) -> Tensor {
    precondition(prompts.rank == 2 && prompts.shape[1] >= 1 && count >= 0, "sample: prompts of shape \(prompts.shape), \(count) tokens to draw")
    let rows = prompts.shape[0]
    for decoder in decoders {
        precondition(prompts.shape[1] + count <= decoder.model.configuration.contextLength + 1,
                     "sample: \(prompts.shape[1]) + \(count) tokens exceed the context of \(decoder.model.configuration.contextLength)")
    }
    guard count > 0 else { return prompts }
    var drawn = [[Float]](repeating: [], count: rows)
    var input = prompts
    for step in 0..<count {
        let logits = decoders.map { $0.next(reading: input) }
        for row in 0..<rows { drawn[row].append(Float(choose(logits.map { $0[row] }))) }
        guard step < count - 1 else { break }
        input = Tensor(drawn.map { $0.last! }, shape: [rows, 1])
    }
    return concatenate([prompts, Tensor(drawn.flatMap { $0 }, shape: [rows, count])], axis: 1)
}

extension GPT {
    /// `count` tokens continuing `prompt`, each chosen by `sampling` (seeded by `generator`).
    /// The key-value cache carries the prompt and the tokens so far; past the context
    /// length, the model reads the last `contextLength` tokens afresh, as nanoGPT crops.
    public func generate(after prompt: [Int], count: Int, sampling: TokenSampling = .greedy,
                         using generator: inout RandomGenerator) -> [Int] {
        precondition(!prompt.isEmpty && count >= 0, "generate: a prompt of \(prompt.count) tokens, \(count) to generate")
        var sequence = Array(prompt.suffix(configuration.contextLength))
        var cache: KeyValueCache? = KeyValueCache(layers: configuration.layers)
        var pending = sequence
        var generated: [Int] = []
        for _ in 0..<count {
            if let current = cache, current.length + pending.count > configuration.contextLength { cache = nil }
            let window = cache == nil ? Array(sequence.suffix(configuration.contextLength)) : pending
            let logits = self.logits(Tensor(window.map(Float.init), shape: [1, window.count]), cache: cache)
            let vocabulary = configuration.vocabularySize
            let last = Array(logits.scalars[((window.count - 1) * vocabulary)..<(window.count * vocabulary)])
            let token = sampling.draw(last, using: &generator)
            generated.append(token)
            sequence.append(token)
            pending = [token]
        }
        return generated
    }

    /// Continuations of a batch of prompts `[B, P]`, `count` tokens each, drawn by `sampling`
    /// row by row in order (seeded by `generator`), all rows advancing together over one
    /// key-value cache: the prompts followed by their continuations, `[B, P + count]`.
    /// Within the context length (the last token drawn is not read back). Records no
    /// gradients: on-policy distillation and sequence-level KD train on the result as data.
    public func sample(continuing prompts: Tensor, count: Int, sampling: TokenSampling = .greedy,
                       using generator: inout RandomGenerator) -> Tensor {
        continueTogether(prompts, count: count, decoders: [IncrementalDecoder(self)]) { sampling.draw($0[0], using: &generator) }
    }

    /// Beam search (the sequence-level KD of Kim & Rush, 2016, trains on its output): the
    /// `count` tokens after `prompt` with the highest total log-probability among `beams`
    /// hypotheses kept at each step. Within the context length.
    public func beamSearch(after prompt: [Int], count: Int, beams: Int) -> [Int] {
        precondition(!prompt.isEmpty && count >= 0 && beams >= 1, "beamSearch: a prompt of \(prompt.count) tokens, \(count) to generate, \(beams) beams")
        precondition(prompt.count + count <= configuration.contextLength + 1,
                     "beamSearch: \(prompt.count) + \(count) tokens exceed the context of \(configuration.contextLength)")
        let vocabulary = configuration.vocabularySize
        let cache = KeyValueCache(layers: configuration.layers)
        var hypotheses: [(tokens: [Int], score: Float)] = [([], 0)]
        var logits = self.logits(Tensor(prompt.map(Float.init), shape: [1, prompt.count]), cache: cache)
        for step in 0..<count {
            // The last position's log-probabilities for each live hypothesis.
            let positions = logits.shape[1]
            let last = logits.slice(axis: 1, start: positions - 1, end: positions).reshaped([hypotheses.count, vocabulary]).logSoftmax(axis: -1).scalars
            var candidates: [(row: Int, token: Int, score: Float)] = []
            for (row, hypothesis) in hypotheses.enumerated() {
                for token in 0..<vocabulary { candidates.append((row, token, hypothesis.score + last[row * vocabulary + token])) }
            }
            candidates.sort { $0.score != $1.score ? $0.score > $1.score : ($0.row, $0.token) < ($1.row, $1.token) }
            let kept = candidates.prefix(beams)
            hypotheses = kept.map { (hypotheses[$0.row].tokens + [$0.token], $0.score) }
            guard step < count - 1 else { break }
            cache.reorder(kept.map(\.row))
            logits = self.logits(Tensor(kept.map { Float($0.token) }, shape: [kept.count, 1]), cache: cache)
        }
        return hypotheses[0].tokens
    }

    /// The total log-probability the model gives `continuation` after `prompt` (together
    /// within one token past the context: the last token is only predicted).
    public func logProbability(of continuation: [Int], after prompt: [Int]) -> Float {
        // The last token is predicted, never read.
        let read = Array((prompt + continuation).dropLast())
        precondition(read.count <= configuration.contextLength, "logProbability: \(read.count) tokens exceed the context")
        let logits = self.logits(Tensor(read.map(Float.init), shape: [1, read.count]), cache: nil).logSoftmax(axis: -1).scalars
        let vocabulary = configuration.vocabularySize
        return continuation.enumerated().reduce(0) { total, entry in
            total + logits[(prompt.count - 1 + entry.offset) * vocabulary + entry.element]
        }
    }
}

extension GPT {
    /// The mean negative log-likelihood per token, in nats, this model gives the tokens of
    /// `sequences` `[B, L]` after their first `promptLength`: how likely it finds another
    /// model's samples (GKD scores a student's samples by its teacher's NLL).
    public func negativeLogLikelihood(of sequences: Tensor, after promptLength: Int) -> Double {
        let rows = negativeLogLikelihoods(of: sequences, after: promptLength)
        return rows.reduce(0, +) / Double(rows.count)
    }

    /// The mean negative log-likelihood per token of each row of `sequences` `[B, L]` after
    /// its first `promptLength` tokens: `[B]` values, in nats.
    public func negativeLogLikelihoods(of sequences: Tensor, after promptLength: Int) -> [Double] {
        precondition(sequences.rank == 2 && promptLength >= 1 && promptLength < sequences.shape[1],
                     "negativeLogLikelihoods: sequences of shape \(sequences.shape) after a prompt of \(promptLength)")
        let (rows, length) = (sequences.shape[0], sequences.shape[1])
        precondition(length - 1 <= configuration.contextLength, "negativeLogLikelihoods: \(length) tokens exceed the context")
        let perToken = withoutGradients {
            crossEntropy(logits: self.logits(sequences.slice(axis: 1, start: 0, end: length - 1), cache: nil),
                         labels: sequences.slice(axis: 1, start: 1, end: length), classAxis: -1, reduction: .none).scalars
        }
        let scored = length - promptLength
        return (0..<rows).map { row in
            Double(perToken[(row * (length - 1) + promptLength - 1)..<((row + 1) * (length - 1))].reduce(0, +)) / Double(scored)
        }
    }
}
