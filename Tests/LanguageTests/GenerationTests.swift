import Language
import NN
import Tensors
import XCTest

/// Greedy, sampled and beam-search decoding: seeded, the cache changing nothing, each rule
/// drawing from the set it promises.
final class GenerationTests: XCTestCase {
    private func model(context: Int = 32, scale: Float = 8) -> GPT {
        var generator = RandomGenerator(seed: 11)
        let model = GPT(GPT.Configuration(vocabularySize: 20, contextLength: context, layers: 2, heads: 2, embedding: 16, bias: true), using: &generator)
        // Larger weights than nanoGPT's start, so that the next-token distributions are peaked.
        for (_, parameter) in model.namedParameters() { parameter.assign(parameter.wrappedValue * scale) }
        model.eval()
        return model
    }

    /// Greedy decoding with the cache, against choosing each token from a full forward pass.
    func testGreedyDecodingEqualsArgmaxOverFullRecomputation() {
        let model = model(context: 12)
        var generator = RandomGenerator(seed: 1)
        let prompt = [3, 1, 4, 1, 5]
        // 15 tokens: past the context of 12, so the window slides as well.
        let generated = model.generate(after: prompt, count: 15, using: &generator)
        var sequence = prompt
        for _ in 0..<15 {
            let window = Array(sequence.suffix(12))
            let logits = model.logits(Tensor(window.map(Float.init), shape: [1, window.count]), cache: nil).scalars
            let last = Array(logits.suffix(20))
            sequence.append(last.indices.max { last[$0] < last[$1] }!)
        }
        XCTAssertEqual(generated, Array(sequence.dropFirst(prompt.count)))
    }

    func testSamplingIsSeededAndTopKAndTopPKeepTheirSets() {
        let model = model()
        func sample(_ sampling: TokenSampling, seed: UInt64) -> [Int] {
            var generator = RandomGenerator(seed: seed)
            return model.generate(after: [1, 2, 3], count: 20, sampling: sampling, using: &generator)
        }
        XCTAssertEqual(sample(TokenSampling(), seed: 5), sample(TokenSampling(), seed: 5))
        XCTAssertNotEqual(sample(TokenSampling(), seed: 5), sample(TokenSampling(), seed: 6))
        var greedyGenerator = RandomGenerator(seed: 0)
        let greedy = model.generate(after: [1, 2, 3], count: 20, using: &greedyGenerator)
        XCTAssertEqual(sample(TokenSampling(topK: 1), seed: 7), greedy, "top-1 is greedy")
        XCTAssertEqual(sample(TokenSampling(topP: 1e-6), seed: 7), greedy, "the smallest nucleus is the most likely token")

        let logits: [Float] = [2, 1, 0.5, 0, -1, 3]
        let full = TokenSampling(temperature: 1).probabilities(logits)
        let softmax = logits.map { exp($0 - 3) }
        for (got, want) in zip(full, softmax.map { $0 / softmax.reduce(0, +) }) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        let cooled = TokenSampling(temperature: 0.5).probabilities(logits)
        XCTAssertGreaterThan(cooled[5], full[5], "a lower temperature sharpens")
        let topK = TokenSampling(topK: 2).probabilities(logits)
        XCTAssertEqual(topK.enumerated().filter { $0.element > 0 }.map(\.offset), [0, 5])
        let topP = TokenSampling(topP: 0.85).probabilities(logits)
        // Sorted: 0.605, 0.222, 0.082, …: the first two reach 0.827 < 0.85, so three are kept.
        XCTAssertEqual(topP.enumerated().filter { $0.element > 0 }.map(\.offset), [0, 1, 5])
        XCTAssertEqual(topP.reduce(0, +), 1, accuracy: 1e-6)

        // Draws follow the probabilities.
        var generator = RandomGenerator(seed: 9)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<20_000 { counts[TokenSampling(topK: 3).draw(logits, using: &generator)] += 1 }
        let expected = TokenSampling(topK: 3).probabilities(logits)
        for token in 0..<6 { XCTAssertEqual(Float(counts[token]) / 20_000, expected[token], accuracy: 0.01, "token \(token)") }
    }

    func testBeamSearchFindsAtLeastGreedysLikelihood() {
        let model = model(scale: 1)
        let prompt = [4, 2]
        var generator = RandomGenerator(seed: 0)
        let greedy = model.generate(after: prompt, count: 8, using: &generator)
        XCTAssertEqual(model.beamSearch(after: prompt, count: 8, beams: 1), greedy, "one beam is greedy")
        let beam = model.beamSearch(after: prompt, count: 8, beams: 4)
        XCTAssertEqual(beam.count, 8)
        // At nanoGPT's initial scale the distributions are flat enough for greedy's first
        // choices to cost later: −22.310 against −22.276 here.
        XCTAssertGreaterThan(model.logProbability(of: beam, after: prompt), model.logProbability(of: greedy, after: prompt))
    }
}
