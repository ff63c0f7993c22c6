import Tensors
import XCTest

/// A finite-difference check of the pullback of every differentiable op: random inputs,
/// central differences with step 1e-3, tolerance 5e-3 absolute plus 5e-3 relative
/// (`checkGradients`). Inputs avoid kinks; broadcasting cases and ops used twice in one
/// graph are included.
final class GradientCheckTests: XCTestCase {
    private let x = awayFromZero([3, 4], seed: 1)
    private let y = awayFromZero([3, 4], seed: 2)
    private let row = awayFromZero([4], seed: 3)
    private let column = awayFromZero([3, 1], seed: 4)
    private var positive: Tensor { x.abs() + 0.5 }

    func testArithmeticWithBroadcasting() {
        assertGradients(at: [x, y], "add") { $0[0] + $0[1] }
        assertGradients(at: [x, row], "add broadcast row") { $0[0] + $0[1] }
        assertGradients(at: [column, row], "subtract broadcast both") { $0[0] - $0[1] }
        assertGradients(at: [x, column], "multiply broadcast column") { $0[0] * $0[1] }
        assertGradients(at: [x, row.abs() + 0.5], "divide broadcast") { $0[0] / $0[1] }
        assertGradients(at: [x, Tensor(1.7)], "scalar tensor") { $0[0] * $0[1] - $0[1] }
        assertGradients(at: [x], "negate and float scalars") { 2 - (-$0[0]) * 3 / 1.5 }
        assertGradients(at: [positive, y], "pow tensor") { pow($0[0], $0[1]) }
        assertGradients(at: [x], "used twice") { $0[0] * $0[0] + $0[0].exp() * $0[0] }
    }

    func testUnaryFunctions() {
        let cases: [(String, (Tensor) -> Tensor)] = [
            ("exp", { $0.exp() }), ("sin", { $0.sin() }), ("cos", { $0.cos() }), ("abs", { $0.abs() }),
            ("sign", { $0.sign() }), ("pow 3", { $0.pow(3) }), ("squared", { $0.squared() }),
            ("clamp", { $0.clamped(min: -0.3, max: 0.4) }), ("relu", { $0.relu() }),
            ("leaky relu", { $0.leakyRelu(negativeSlope: 0.2) }), ("elu", { $0.elu(alpha: 0.7) }),
            ("gelu", { $0.gelu() }), ("gelu tanh", { $0.gelu(approximation: .tanh) }), ("silu", { $0.silu() }),
            ("sigmoid", { $0.sigmoid() }), ("tanh", { $0.tanh() }), ("softplus", { $0.softplus(beta: 1.5) }),
        ]
        for (name, function) in cases { assertGradients(at: [x], name) { function($0[0]) } }
        let positiveCases: [(String, (Tensor) -> Tensor)] = [
            ("log", { $0.log() }), ("log1p", { $0.log1p() }), ("sqrt", { $0.sqrt() }), ("rsqrt", { $0.rsqrt() }),
            ("pow 1.5", { $0.pow(1.5) }),
        ]
        for (name, function) in positiveCases { assertGradients(at: [positive], name) { function($0[0]) } }
    }

    func testComparisonsAndSelection() {
        let mask = x .> y
        assertGradients(at: [x, y], "where") { `where`(mask, $0[0], $0[1]) }
        let positiveMask = x .> 0
        assertGradients(at: [x, row], "where broadcast") { `where`(positiveMask, $0[0], $0[1]) }
        assertGradients(at: [x, y], "maximum") { maximum($0[0], $0[1]) }
        assertGradients(at: [x, column], "minimum broadcast") { minimum($0[0], $0[1]) }
    }

    func testReductions() {
        let t = distinctValues([2, 3, 4], seed: 5)
        assertGradients(at: [t], "sum all") { $0[0].sum() }
        assertGradients(at: [t], "sum axes 0,2") { $0[0].sum(axes: [0, 2]) }
        assertGradients(at: [t], "sum keepDims") { $0[0].sum(axis: 1, keepDims: true) * $0[0] }
        assertGradients(at: [t], "mean") { $0[0].mean(axes: [1, 2]) }
        assertGradients(at: [t], "variance") { $0[0].variance(axes: [0, 1]) }
        assertGradients(at: [t], "variance population") { $0[0].variance(axes: [2], correction: 0, keepDims: true) }
        assertGradients(at: [t], "max") { $0[0].max(axis: 2) }
        assertGradients(at: [t], "min") { $0[0].min(axes: [0, 2]) }
        assertGradients(at: [t], "max all") { $0[0].max() }
        assertGradients(at: [t], "logSumExp") { $0[0].logSumExp(axes: [1]) }
        assertGradients(at: [t], "norm L1") { $0[0].norm(.l1, axes: [2]) }
        assertGradients(at: [t], "norm L2") { $0[0].norm(.l2, axes: [0, 2]) }
        assertGradients(at: [t], "norm L∞") { $0[0].norm(.infinity, axes: [1]) }
        assertGradients(at: [t], "sum to shape") { $0[0].sum(toShape: [3, 1]) }
    }

    func testShapeOps() {
        let t = awayFromZero([2, 3, 4], seed: 6)
        assertGradients(at: [t], "reshape") { $0[0].reshaped([4, -1]) }
        assertGradients(at: [t], "flatten/squeeze/unsqueeze") { $0[0].flattened(startAxis: 1).unsqueezed(axis: 1).squeezed(axis: 1) }
        assertGradients(at: [t], "permute") { $0[0].permuted([2, 0, 1]) }
        assertGradients(at: [t], "transpose") { $0[0].transposed() }
        assertGradients(at: [row], "broadcast to") { $0[0].broadcast(to: [2, 3, 4]) }
        assertGradients(at: [t, t * 2], "concatenate") { concatenate([$0[0], $0[1]], axis: 1) }
        assertGradients(at: [t, t + 1], "stack") { stack([$0[0], $0[1]], axis: 2) }
        assertGradients(at: [t], "split") { pieces in
            let parts = pieces[0].split(sizes: [1, 3], axis: 2)
            return parts[0] * 2 + parts[1].sum(axis: 2, keepDims: true)
        }
        assertGradients(at: [t], "chunk") { $0[0].chunked(2, axis: 1)[1] }
        assertGradients(at: [t], "slice with step") { $0[0].slice(axis: 2, start: 0, end: 4, step: 3) }
        assertGradients(at: [t], "subscript") { $0[0][1] }
        assertGradients(at: [t], "pad constant") { $0[0].padded([(1, 0), (0, 2)], mode: .constant(3)) }
        assertGradients(at: [t], "pad reflect") { $0[0].padded([(2, 1), (1, 2)], mode: .reflect) }
        assertGradients(at: [t], "repeat") { $0[0].repeated([2, 1, 1, 2]) }
    }

    func testIndexing() {
        let t = distinctValues([2, 3, 4], seed: 7)
        let indices = Tensor([2, 0, 1, 1, 0, 2, 2, 2], shape: [2, 1, 4])
        assertGradients(at: [t], "index select with repeats") { $0[0].indexSelect(axis: 1, indices: [2, 0, 2]) }
        assertGradients(at: [t], "gather") { $0[0].gathering(axis: 1, indices: indices) }
        let values = awayFromZero([2, 1, 4], seed: 8)
        assertGradients(at: [t, values], "scatter add") { $0[0].scatteringAdd(axis: 1, indices: indices, values: $0[1]) }
        assertGradients(at: [t], "top-k") { $0[0].topK(2, axis: 1).values }
        let table = awayFromZero([5, 3], seed: 9)
        assertGradients(at: [table], "embedding") { embedding(Tensor([4, 0, 4], shape: [3]), weight: $0[0]) }
    }

    func testMatmul() {
        let a = awayFromZero([2, 3, 4], seed: 10), b = awayFromZero([4, 5], seed: 11)
        assertGradients(at: [a, b], "batch × matrix") { matmul($0[0], $0[1]) }
        assertGradients(at: [a.transposed(), b.transposed()], "transposed flags") { matmul($0[0], $0[1], transposeA: true, transposeB: true) }
        let c = awayFromZero([1, 4, 2], seed: 12)
        assertGradients(at: [a, c], "broadcast batch") { matmul($0[0], $0[1]) }
        assertGradients(at: [a, awayFromZero([2, 5, 4], seed: 13)], "batched transposeB") { matmul($0[0], $0[1], transposeB: true) }
        assertGradients(at: [awayFromZero([3, 4], seed: 14), b.transposed()], "2-D transposeB") { matmul($0[0], $0[1], transposeB: true) }
        assertGradients(at: [awayFromZero([2, 4, 3], seed: 15), b], "batched transposeA, matrix B") { matmul($0[0], $0[1], transposeA: true) }
    }

    func testLinear() {
        let x = awayFromZero([2, 3, 4], seed: 40), weight = awayFromZero([5, 4], seed: 41), bias = awayFromZero([5], seed: 42)
        assertGradients(at: [x, weight, bias], "linear with bias, batch of matrices") { linear($0[0], weight: $0[1], bias: $0[2]) }
        assertGradients(at: [x[0], weight], "linear without bias") { linear($0[0], weight: $0[1]) }
        assertGradients(at: [x[0][0], weight, bias], "linear on a vector") { linear($0[0], weight: $0[1], bias: $0[2]) }
        assertClose(linear(x, weight: weight, bias: bias), matmul(x, weight, transposeB: true) + bias, tolerance: 1e-5, "linear = x·Wᵀ + b")
    }

    func testConvolutions() {
        let x = awayFromZero([2, 4, 5, 6], seed: 16)
        let w = awayFromZero([6, 2, 3, 2], seed: 17) * 0.5, bias = awayFromZero([6], seed: 18)
        assertGradients(at: [x, w, bias], "conv2d groups/stride/padding/dilation") {
            conv2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2)
        }
        assertGradients(at: [x, awayFromZero([3, 4, 1, 1], seed: 19)], "conv2d 1×1") { conv2d($0[0], weight: $0[1]) }
        // Groups with weight blocks above 64 entries go through BLAS; the ones above, below it,
        // through plain loops.
        let wide = awayFromZero([2, 8, 4, 3], seed: 27), blocks = awayFromZero([8, 4, 3, 3], seed: 28) * 0.3
        assertGradients(at: [wide, blocks], "conv2d groups through BLAS") { conv2d($0[0], weight: $0[1], padding: (1, 1), groups: 2) }
        // Stride 1 with "same" width: whole lines move as one block, with wrapped edges fixed up.
        let odd = awayFromZero([3, 2, 4, 5], seed: 25), square = awayFromZero([3, 2, 3, 3], seed: 26) * 0.5
        assertGradients(at: [odd, square], "conv2d 3×3 same") { conv2d($0[0], weight: $0[1], padding: (1, 1)) }
        assertGradients(at: [odd, square], "conv2d 3×3 dilated same") { conv2d($0[0], weight: $0[1], padding: (2, 2), dilation: (2, 2)) }
        assertGradients(at: [odd, square], "conv2d 3×3 same width, valid height") { conv2d($0[0], weight: $0[1], padding: (0, 1)) }
        let sequence = awayFromZero([2, 3, 7], seed: 20), kernel = awayFromZero([2, 3, 3], seed: 21)
        assertGradients(at: [sequence, kernel], "conv1d") { conv1d($0[0], weight: $0[1], stride: 2, padding: 1) }
        let small = awayFromZero([2, 4, 3, 3], seed: 22), wt = awayFromZero([4, 3, 3, 2], seed: 23), bt = awayFromZero([6], seed: 24)
        assertGradients(at: [small, wt, bt], "conv transpose 2d") {
            convTranspose2d($0[0], weight: $0[1], bias: $0[2], stride: (2, 2), padding: (1, 0), outputPadding: (1, 0), groups: 2)
        }
    }

    func testPoolingAndUpsampling() {
        let x = distinctValues([2, 2, 5, 6], seed: 25)
        assertGradients(at: [x], "max pool") { maxPool2d($0[0], kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)) }
        assertGradients(at: [distinctValues([2, 3, 6, 4], seed: 39)], "max pool 2×2 (fast path)") { maxPool2d($0[0], kernelSize: (2, 2)) }
        assertGradients(at: [x], "avg pool") { avgPool2d($0[0], kernelSize: (3, 2), stride: (2, 2), padding: (1, 1)) }
        assertGradients(at: [x], "avg pool without padding") { avgPool2d($0[0], kernelSize: (3, 3), stride: (1, 2), padding: (1, 1), countIncludePad: false) }
        assertGradients(at: [x], "adaptive avg pool") { adaptiveAvgPool2d($0[0], outputSize: (3, 4)) }
        assertGradients(at: [x], "upsample nearest") { upsample($0[0], size: (7, 9)) }
        assertGradients(at: [x], "upsample bilinear") { upsample($0[0], size: (8, 4), mode: .bilinear(alignCorners: false)) }
        assertGradients(at: [x], "upsample bilinear aligned") { upsample($0[0], size: (8, 11), mode: .bilinear(alignCorners: true)) }
    }

    func testSoftmaxAndLosses() {
        let logits = awayFromZero([4, 5], seed: 26), teacher = awayFromZero([4, 5], seed: 27)
        let labels = Tensor([1, 4, 0, 2])
        assertGradients(at: [logits], "softmax T=2") { $0[0].softmax(axis: 1, temperature: 2) }
        assertGradients(at: [logits], "softmax axis 0") { $0[0].softmax(axis: 0) }
        assertGradients(at: [logits], "log-softmax T=0.5") { $0[0].logSoftmax(axis: -1, temperature: 0.5) }
        assertGradients(at: [logits], "cross-entropy") { crossEntropy(logits: $0[0], labels: labels) }
        assertGradients(at: [logits], "cross-entropy smoothing + ignore") {
            crossEntropy(logits: $0[0], labels: Tensor([1, -1, 0, 2]), labelSmoothing: 0.2, ignoreIndex: -1, reduction: .sum)
        }
        assertGradients(at: [awayFromZero([2, 3, 4], seed: 28)], "cross-entropy [N, C, d]") {
            crossEntropy(logits: $0[0], labels: Tensor([0, 2, 1, 1, 0, 2, 2, 0], shape: [2, 4]), reduction: .none)
        }
        let q = teacher.softmax(axis: 1)
        assertGradients(at: [logits, q], "soft cross-entropy") { crossEntropy(logits: $0[0], probabilities: $0[1]) }
        assertGradients(at: [logits, q], "NLL") { negativeLogLikelihood(logProbabilities: $0[0].logSoftmax(axis: 1), labels: labels) }
        assertGradients(at: [logits.logSoftmax(axis: 1), q], "KL") { klDivergence(logProbabilities: $0[0], target: $0[1]) }
        assertGradients(at: [logits, teacher], "distillation KL, student and teacher") {
            distillationKLDivergence(studentLogits: $0[0], teacherLogits: $0[1], temperature: 3)
        }
        let tokens = awayFromZero([2, 3, 4], seed: 29), teacherTokens = awayFromZero([2, 3, 4], seed: 30)
        let padding = Tensor([1, 1, 0, 1, 0, 0], shape: [2, 3])
        assertGradients(at: [tokens], "cross-entropy [N, T, V], masked") {
            crossEntropy(logits: $0[0], labels: Tensor([3, 0, 77, 2, -5, 1], shape: [2, 3]), classAxis: -1, mask: padding)
        }
        assertGradients(at: [tokens, teacherTokens], "distillation KL [N, T, V], masked") {
            distillationKLDivergence(studentLogits: $0[0], teacherLogits: $0[1], temperature: 2, mask: padding)
        }
        for beta: Float in [0, 0.3, 1] {
            assertGradients(at: [tokens], "generalized JSD β = \(beta) [N, T, V], masked") {
                generalizedJensenShannonDivergence(studentLogits: $0[0], teacherLogits: teacherTokens, beta: beta, temperature: 1.5, mask: padding)
            }
        }
        assertGradients(at: [tokens, teacherTokens.softmax(axis: -1)], "soft cross-entropy [N, T, V]") {
            crossEntropy(logits: $0[0], probabilities: $0[1], classAxis: -1)
        }
        let targets = (teacher.sigmoid() * 10).clamped(min: 1, max: 9) / 10
        assertGradients(at: [logits, targets], "BCE with logits") { binaryCrossEntropy(logits: $0[0], targets: $0[1]) }
        assertGradients(at: [logits, teacher], "MSE") { meanSquaredError($0[0], $0[1]) }
        assertGradients(at: [logits, teacher], "L1") { l1Loss($0[0], $0[1], reduction: .sum) }
        assertGradients(at: [logits, teacher], "smooth L1") { smoothL1Loss($0[0], $0[1], beta: 1.5) }
        assertGradients(at: [logits, teacher], "cosine similarity") { cosineSimilarity($0[0], $0[1], axis: 1) }
    }

    func testNormalizationAndDropout() {
        let x = awayFromZero([3, 4, 2, 2], seed: 29) * 2 + 1
        let weight = awayFromZero([4], seed: 30), bias = awayFromZero([4], seed: 31)
        assertGradients(at: [x, weight, bias], "batch norm training") { batchNormTraining($0[0], weight: $0[1], bias: $0[2]).output }
        assertGradients(at: [x], "batch norm without affine") { batchNormTraining($0[0], weight: nil, bias: nil).output }
        assertGradients(at: [awayFromZero([6, 4], seed: 32)], "batch norm 1-D") { batchNormTraining($0[0], weight: nil, bias: nil).output }
        let mean = awayFromZero([4], seed: 33), variance = awayFromZero([4], seed: 34).abs() + 0.5
        assertGradients(at: [x, weight, bias], "batch norm inference") { batchNorm($0[0], mean: mean, variance: variance, weight: $0[1], bias: $0[2]) }
        // Planes of 35: the per-channel sums take their 16-wide vector path and a tail.
        let wide = awayFromZero([2, 4, 5, 7], seed: 38) * 2 + 1
        assertGradients(at: [wide, weight, bias], "batch norm training, wide planes") { batchNormTraining($0[0], weight: $0[1], bias: $0[2]).output }
        assertGradients(at: [wide, weight, bias], "batch norm inference, wide planes") { batchNorm($0[0], mean: mean, variance: variance, weight: $0[1], bias: $0[2]) }
        let sequence = awayFromZero([2, 3, 5], seed: 35)
        assertGradients(at: [sequence, awayFromZero([5], seed: 36), awayFromZero([5], seed: 37)], "layer norm") {
            layerNorm($0[0], weight: $0[1], bias: $0[2])
        }
        assertGradients(at: [x, weight, bias], "group norm") { groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2]) }
        assertGradients(at: [x], "dropout (fixed mask)") { input in
            var generator = RandomGenerator(seed: 38)
            return dropout(input[0], probability: 0.3, using: &generator)
        }
    }
}
