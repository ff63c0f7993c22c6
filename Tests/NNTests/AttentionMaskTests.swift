import Foundation
import NN
import Tensors
import XCTest

/// Masked attention against a plain reference: for each query, a softmax over exactly the
/// keys it may see, written out with loops.
final class AttentionMaskTests: XCTestCase {
    private let (batch, tokens, dimension, heads) = (2, 4, 6, 2)

    private func attention(seed: UInt64) -> (MultiHeadSelfAttention, Tensor) {
        var generator = RandomGenerator(seed: seed)
        let layer = MultiHeadSelfAttention(dimension: dimension, heads: heads, using: &generator)
        return (layer, Tensor.normal([batch, tokens, dimension], using: &generator))
    }

    /// The attention output with `sees(b, i, j)` choosing the keys, by loops over scalars.
    private func reference(_ layer: MultiHeadSelfAttention, _ x: Tensor, sees: (Int, Int, Int) -> Bool) -> Tensor {
        let qkv = layer.qkv(x).scalars, size = dimension / heads
        func at(_ b: Int, _ token: Int, _ part: Int, _ h: Int, _ c: Int) -> Float {
            qkv[(b * tokens + token) * 3 * dimension + part * dimension + h * size + c]
        }
        var attended = [Float](repeating: 0, count: batch * tokens * dimension)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<tokens {
                    let seen = (0..<tokens).filter { sees(b, i, $0) }
                    let keys = seen.isEmpty ? Array(0..<tokens) : seen
                    let scores = keys.map { j in (0..<size).reduce(Float(0)) { $0 + at(b, i, 0, h, $1) * at(b, j, 1, h, $1) } / Float(size).squareRoot() }
                    let top = scores.max()!
                    // A query that sees nothing weighs every value equally.
                    let weights = seen.isEmpty ? scores.map { _ in Float(1) } : scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for c in 0..<size {
                        let value = zip(keys, weights).reduce(Float(0)) { $0 + $1.1 * at(b, $1.0, 2, h, c) }
                        attended[(b * tokens + i) * dimension + h * size + c] = value / total
                    }
                }
            }
        }
        return layer.proj(Tensor(attended, shape: [batch, tokens, dimension]))
    }

    /// The second sequence has two tokens and two padding positions.
    private let padding = Tensor([1, 1, 1, 1, 1, 1, 0, 0], shape: [2, 4])

    func testUnmaskedAttentionEqualsThePlainReference() {
        let (layer, x) = attention(seed: 1)
        assertClose(layer(x), reference(layer, x) { _, _, _ in true }, tolerance: 1e-5, "no mask")
        assertClose(layer(x, mask: nil), layer(x), tolerance: 0, "a nil mask changes nothing")
    }

    func testCausalPaddingAndBothEqualThePlainReference() {
        let (layer, x) = attention(seed: 2)
        let keep = padding.scalars
        assertClose(layer(x, mask: .causal), reference(layer, x) { _, i, j in j <= i }, tolerance: 1e-5, "causal")
        assertClose(layer(x, mask: .padding(padding)), reference(layer, x) { b, _, j in keep[b * 4 + j] != 0 }, tolerance: 1e-5, "padding")
        assertClose(layer(x, mask: AttentionMask(isCausal: true, keyPadding: padding)),
                    reference(layer, x) { b, i, j in j <= i && keep[b * 4 + j] != 0 }, tolerance: 1e-5, "causal and padding")
    }

    func testAFullyMaskedQueryStaysFiniteAndAveragesTheValues() {
        let (layer, x) = attention(seed: 3)
        let nothing = Tensor([1, 1, 1, 1, 0, 0, 0, 0], shape: [2, 4])
        let output = layer(x, mask: .padding(nothing))
        XCTAssert(output.scalars.allSatisfy(\.isFinite), "no NaN on a row with every key masked")
        assertClose(output, reference(layer, x) { b, _, _ in b == 0 }, tolerance: 1e-5, "uniform over all keys")
        let gradient = valueAndGradients(at: [x]) { layer($0[0], mask: .padding(nothing)).sum() }.gradients[0]
        XCTAssert(gradient.scalars.allSatisfy(\.isFinite), "and a finite gradient")
    }

    func testAFutureTokenDoesNotReachAnEarlierOutputUnderTheCausalMask() {
        let (layer, x) = attention(seed: 4)
        var changed = x.scalars
        for c in 0..<dimension { changed[3 * dimension + c] += 5 }  // the last token of sequence 0
        let before = layer(x, mask: .causal).scalars, after = layer(Tensor(changed, shape: x.shape), mask: .causal).scalars
        XCTAssertEqual(Array(before[0..<(3 * dimension)]), Array(after[0..<(3 * dimension)]), "earlier tokens see no future")
        XCTAssertNotEqual(Array(before[(3 * dimension)..<(4 * dimension)]), Array(after[(3 * dimension)..<(4 * dimension)]))
    }

    func testMaskedAttentionGradientsMatchFiniteDifferences() {
        let (layer, x) = attention(seed: 5)
        let mask = AttentionMask(isCausal: true, keyPadding: padding)
        let parameters = layer.checkParameterGradients { layer(x, mask: mask) }
        XCTAssert(parameters.passed, "parameters: \(parameters)")
        let inputs = checkGradients(of: { layer($0[0], mask: mask) }, at: [x])
        XCTAssert(inputs.passed, "input: \(inputs)")
        var generator = RandomGenerator(seed: 6)
        let block = TransformerBlock(dimension: 4, heads: 2, mlpRatio: 2, using: &generator)
        let tokens = Tensor.normal([2, 4, 4], using: &generator)
        let result = block.checkParameterGradients { block(tokens, mask: mask) }
        XCTAssert(result.passed, "transformer block: \(result)")
    }

    func testATapOnAMaskedCallRecordsItsOutput() throws {
        var generator = RandomGenerator(seed: 7)
        let block = TransformerBlock(dimension: 4, heads: 2, mlpRatio: 2, using: &generator)
        let tokens = Tensor.normal([2, 4, 4], using: &generator)
        let (_, features) = try block.capturingFeatures(["attn"]) { block(tokens, mask: .causal) }
        let expected = block.attn(block.norm1(tokens), mask: .causal)
        XCTAssertEqual(features["attn"]?.scalars, expected.scalars)
    }
}
