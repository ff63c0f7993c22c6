import Foundation
import NN
import Tensors
import XCTest

/// GPT against a PyTorch model with nanoGPT's layout (`Fixtures/make_gpt_fixture.py`), its
/// KV cache against full recomputation, and its attention's gradients.
final class GPTTests: XCTestCase {
    private static let reference: [String: Any] = {
        let data = try! Data(contentsOf: Fixtures.folder.appendingPathComponent("gpt-reference.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()

    private func tiny(bias: Bool, seed: UInt64 = 0) -> GPT {
        var generator = RandomGenerator(seed: seed)
        return GPT(GPT.Configuration(vocabularySize: 50, contextLength: 16, layers: 2, heads: 2, embedding: 16, bias: bias), using: &generator)
    }

    func testANanoGPTCheckpointGivesPyTorchsLogits() throws {
        let tokens = Tensor((Self.reference["tokens"] as! [Int]).map(Float.init), shape: Self.reference["shape"] as! [Int])
        for (name, bias) in [("gpt-tiny", false), ("gpt-tiny-bias", true)] {
            let model = tiny(bias: bias)
            let file = Fixtures.folder.appendingPathComponent("\(name).safetensors")
            let saved = try SafeTensors.read(contentsOf: file).tensors
            XCTAssertEqual(Set(model.stateDict().keys), Set(saved.keys), "\(name): nanoGPT's names, lm_head.weight included")
            try model.load(from: file)
            model.eval()
            let logits = model(TokenInputs(tokens: tokens)).logits
            XCTAssertEqual(logits.shape, [2, 12, 50])
            let expected = Self.reference[name] as! [Double]
            let worst = zip(logits.scalars, expected).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(worst, 1e-4, "\(name): largest difference from PyTorch")
        }
    }

    /// The head is tied to the token embedding: a state dict may give it under either name,
    /// but not two different values.
    func testTheTiedHeadLoadsUnderEitherNameAndMustAgree() throws {
        let model = tiny(bias: false)
        var state = try SafeTensors.read(contentsOf: Fixtures.folder.appendingPathComponent("gpt-tiny.safetensors")).tensors
        let embedding = state["transformer.wte.weight"]!
        state.removeValue(forKey: "transformer.wte.weight")
        try model.loadStateDict(state)
        XCTAssertEqual(model.transformer.wte.weight.scalars, embedding.scalars, "the head's copy fills the embedding")
        state["transformer.wte.weight"] = embedding * 2
        XCTAssertThrowsError(try model.loadStateDict(state, source: "gpt.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("lm_head.weight differs from transformer.wte.weight, which it is tied to"), "\(error)")
        }
    }

    func testDecodingWithTheKeyValueCacheEqualsRecomputingEverything() {
        let model = tiny(bias: true, seed: 3)
        model.eval()
        var generator = RandomGenerator(seed: 4)
        let tokens = Tensor((0..<20).map { _ in Float(generator.nextInt(below: 50)) }, shape: [2, 10])
        let full = model.logits(tokens, cache: nil)
        let cache = KeyValueCache(layers: 2)
        var pieces = [model.logits(tokens.slice(axis: 1, start: 0, end: 4), cache: cache)]
        for position in 4..<10 { pieces.append(model.logits(tokens.slice(axis: 1, start: position, end: position + 1), cache: cache)) }
        XCTAssertEqual(cache.length, 10)
        let incremental = concatenate(pieces, axis: 1)
        let worst = zip(full.scalars, incremental.scalars).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-5)
    }

    func testCausalSelfAttentionIsCausalAndPassesGradientChecks() {
        var generator = RandomGenerator(seed: 5)
        let attention = CausalSelfAttention(dimension: 8, heads: 2, using: &generator)
        let x = Tensor.normal([2, 5, 8], using: &generator)
        var changed = x.scalars
        for i in (4 * 8)..<(5 * 8) { changed[i] += 1 }  // the last token of the first sequence
        let (before, after) = (attention(x).scalars, attention(Tensor(changed, shape: [2, 5, 8])).scalars)
        XCTAssertEqual(Array(before[0..<(4 * 8)]), Array(after[0..<(4 * 8)]), "earlier positions do not see a later token")
        XCTAssertNotEqual(Array(before[(4 * 8)..<(5 * 8)]), Array(after[(4 * 8)..<(5 * 8)]))
        let parameters = attention.checkParameterGradients { attention(x).sin().sum() }
        XCTAssert(parameters.passed, "parameters: \(parameters)")
        let inputs = checkGradients(of: { attention($0[0]) }, at: [x])
        XCTAssert(inputs.passed, "inputs: \(inputs)")
    }
}
