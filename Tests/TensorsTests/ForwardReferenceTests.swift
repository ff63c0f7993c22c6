import Tensors
import XCTest

/// Forward values against NumPy/SciPy references (Fixtures/make_fixtures.py).
final class ForwardReferenceTests: XCTestCase {
    private func f(_ name: String) -> Tensor { Fixtures.tensor(name) }

    func testUnaryFunctions() {
        let x = f("x"), positive = f("pos")
        let cases: [(String, Tensor)] = [
            ("exp", x.exp()), ("log", positive.log()), ("log1p", positive.log1p()), ("sqrt", positive.sqrt()),
            ("rsqrt", positive.rsqrt()), ("pow3", x.pow(3)), ("abs", x.abs()), ("sign", x.sign()),
            ("clamp", x.clamped(min: -0.5, max: 0.7)), ("relu", x.relu()), ("leaky_relu", x.leakyRelu(negativeSlope: 0.1)),
            ("elu", x.elu(alpha: 1.3)), ("gelu", x.gelu()), ("gelu_tanh", x.gelu(approximation: .tanh)),
            ("silu", x.silu()), ("sigmoid", x.sigmoid()), ("tanh", x.tanh()), ("softplus", x.softplus(beta: 2)),
            ("sin", x.sin()), ("cos", x.cos()),
        ]
        for (name, value) in cases { assertClose(value, f(name), tolerance: 2e-6, name) }
    }

    func testBinaryFunctionsBroadcast() {
        let x = f("x"), y = f("y")
        assertClose(x + y, f("x_plus_y"), name: "add")
        assertClose(x / y, f("x_div_y"), tolerance: 1e-5, "divide")
        assertClose(maximum(x, y), f("x_max_y"), "maximum")
        assertClose(pow(f("pos"), y), f("pow_pos_y"), tolerance: 1e-5, "pow")
    }

    func testReductions() {
        let t = f("t")
        assertClose(t.sum(axes: [0, 2]), f("sum_0_2"), "sum")
        assertClose(t.mean(axis: 1), f("mean_1"), "mean")
        assertClose(t.variance(axes: [1]), f("var_1"), "variance")
        assertClose(t.max(axis: 2), f("max_2"), "max")
        assertClose(t.min(axes: [0, 1]), f("min_01"), "min")
        assertClose(t.argmax(axis: 1), f("argmax_1"), "argmax")
        assertClose(t.logSumExp(axes: [2]), f("logsumexp_2"), "logSumExp")
        assertClose(t.norm(.l1, axes: [1]), f("norm_l1_1"), "L1")
        assertClose(t.norm(.l2, axes: [1]), f("norm_l2_1"), "L2")
        assertClose(t.norm(.infinity, axes: [1]), f("norm_inf_1"), "L∞")
        assertClose(t.softmax(axis: 1, temperature: 2), f("softmax_1_T2"), "softmax")
        assertClose(t.logSoftmax(axis: -1, temperature: 0.5), f("log_softmax_last_T05"), "logSoftmax")
    }

    func testLosses() {
        let logits = f("logits"), labels = f("labels"), q = f("soft_target"), teacher = f("teacher")
        assertClose(crossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1, ignoreIndex: -100), f("ce_smooth_ignore_mean"), "CE smoothing+ignore")
        assertClose(crossEntropy(logits: logits.slice(axis: 0, end: 4), labels: labels.slice(axis: 0, end: 4), reduction: .sum), f("ce_plain_sum"), "CE sum")
        assertClose(crossEntropy(logits: logits, probabilities: q), f("soft_ce_mean"), "soft CE")
        assertClose(klDivergence(logProbabilities: logits.logSoftmax(axis: 1), target: q), f("kl_batchmean"), "KL")
        assertClose(distillationKLDivergence(studentLogits: logits, teacherLogits: teacher, temperature: 4), f("kd_T4_batchmean"), "KD")
        for (beta, name) in [(Float(0), "0.0"), (0.1, "0.1"), (0.5, "0.5"), (1, "1.0")] {
            assertClose(generalizedJensenShannonDivergence(studentLogits: logits, teacherLogits: teacher, beta: beta, temperature: 2),
                        f("gjsd_beta\(name)_T2"), tolerance: 1e-5, "generalized JSD β = \(beta)")
        }
        assertClose(binaryCrossEntropy(logits: logits, targets: f("targets01")), f("bce_mean"), "BCE")
        assertClose(meanSquaredError(logits, teacher), f("mse_mean"), "MSE")
        assertClose(smoothL1Loss(logits, teacher, beta: 2), f("smooth_l1_beta2"), "smooth L1")
        assertClose(cosineSimilarity(logits, teacher, axis: 1), f("cosine_1"), "cosine")
        let nll = negativeLogLikelihood(logProbabilities: logits.logSoftmax(axis: 1), labels: labels, ignoreIndex: -100)
        let ce = crossEntropy(logits: logits, labels: labels, ignoreIndex: -100)
        assertClose(nll, ce, "NLL of log-softmax equals CE")
    }

    func testMatmulBroadcastAndTransposeFlags() {
        assertClose(matmul(f("mm_a"), f("mm_b")), f("mm_ab"), tolerance: 1e-5, "batched")
        assertClose(matmul(f("mm_at"), f("mm_bt"), transposeA: true, transposeB: true), f("mm_at_bt"), tolerance: 1e-5, "transposed")
        let a = f("mm_a").reshaped([2, 3, 4]), b = f("mm_b")[0]
        assertClose(matmul(a, b), matmul(a, b.unsqueezed(axis: 0).repeated([2, 1, 1])), "folded batch")
    }

    func testConvolutions() {
        let y = conv2d(f("conv_x"), weight: f("conv_w"), bias: f("conv_b"), stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2)
        assertClose(y, f("conv2d_g2_s21_p12_d12"), tolerance: 1e-5, "conv2d")
        assertClose(conv1d(f("conv1d_x"), weight: f("conv1d_w"), stride: 2, padding: 1), f("conv1d_s2_p1"), tolerance: 1e-5, "conv1d")
        let t = convTranspose2d(f("convt_x"), weight: f("convt_w"), bias: f("convt_b"), stride: (2, 2), padding: (1, 0), outputPadding: (1, 0), groups: 2)
        assertClose(t, f("conv_transpose2d_g2_s2_p10_op10"), tolerance: 1e-5, "convTranspose2d")
    }

    /// The 2×2 fast path handles four outputs at a time (seven columns of outputs here: one
    /// vector block and three scalar ones). Values drawn from {0, 1, 2} make ties common: the
    /// first maximum in window order must win, in value and in where the gradient goes; a NaN
    /// propagates to its window's output.
    private func assertVectorizedHalvingMatchesTheWindowRule() {
        var generator = RandomGenerator(seed: 41)
        var values = (0..<(2 * 3 * 6 * 14)).map { _ in Float(generator.nextInt(below: 3)) }
        values[5 * 14 + 3] = .nan  // plane 0, row 5, column 3: output (2, 1)
        let x = Tensor(values, shape: [2, 3, 6, 14]).requiringGradient()
        let pooled = maxPool2d(x, kernelSize: (2, 2))
        let gradient = gradients(of: pooled.sum(), wrt: [x])[0].scalars
        let output = pooled.scalars
        var expectedGradient = [Float](repeating: 0, count: values.count)
        for plane in 0..<6 {
            for oy in 0..<3 {
                for ox in 0..<7 {
                    let candidates = [(0, 0), (0, 1), (1, 0), (1, 1)].map { plane * 84 + (2 * oy + $0.0) * 14 + 2 * ox + $0.1 }
                    var best = candidates[0]
                    for c in candidates.dropFirst() where values[c] > values[best] || (values[c].isNaN && !values[best].isNaN) { best = c }
                    let got = output[plane * 21 + oy * 7 + ox]
                    XCTAssertTrue(got == values[best] || (got.isNaN && values[best].isNaN), "plane \(plane) (\(oy), \(ox))")
                    expectedGradient[best] += 1
                }
            }
        }
        XCTAssertTrue(output[2 * 7 + 1].isNaN)
        XCTAssertEqual(gradient, expectedGradient, "the gradient goes to the first maximum of each window")
    }

    func testPoolingAndUpsampling() {
        let x = f("pool_x")
        assertClose(maxPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)), f("maxpool_k3_s2_p1"), "max pool")
        // The 2×2 fast path against the same maximum taken by a reduction over 2×2 blocks.
        let even = x.slice(axis: 2, end: 6).slice(axis: 3, end: 6)
        assertClose(maxPool2d(even, kernelSize: (2, 2)), even.reshaped([2, 3, 3, 2, 3, 2]).max(axes: [3, 5]), "max pool 2×2")
        assertClose(avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1)), f("avgpool_k3_s2_p1"), "avg pool")
        assertVectorizedHalvingMatchesTheWindowRule()
        assertClose(avgPool2d(x, kernelSize: (3, 3), stride: (2, 2), padding: (1, 1), countIncludePad: false), f("avgpool_k3_s2_p1_nopad"), "avg pool without padding")
        assertClose(adaptiveAvgPool2d(f("adaptive_x"), outputSize: (3, 2)), f("adaptive_avg_3x2"), "adaptive avg pool")
        let u = f("up_x")
        assertClose(upsample(u, size: (5, 7)), f("up_nearest_5x7"), "nearest")
        assertClose(upsample(u, size: (5, 7), mode: .bilinear(alignCorners: false)), f("up_bilinear_5x7"), "bilinear")
        assertClose(upsample(u, size: (5, 7), mode: .bilinear(alignCorners: true)), f("up_bilinear_5x7_align"), "bilinear align corners")
    }

    func testNormalization() {
        let (out, mean, variance) = batchNormTraining(f("bn_x"), weight: f("bn_w"), bias: f("bn_b"))
        assertClose(out, f("bn_out"), tolerance: 1e-5, "batch norm")
        assertClose(mean, f("bn_mean"), "batch mean")
        assertClose(variance, f("bn_unbiased_var"), "batch variance")
        let inference = batchNorm(f("bn_x"), mean: f("bn_mean"), variance: f("bn_x").variance(axes: [0, 2, 3], correction: 0), weight: f("bn_w"), bias: f("bn_b"))
        assertClose(inference, f("bn_out"), tolerance: 1e-5, "batch norm with given statistics")
        assertClose(layerNorm(f("ln_x"), normalizedAxes: 2, weight: f("ln_w"), bias: f("ln_b")), f("ln_out"), tolerance: 1e-5, "layer norm")
        assertClose(groupNorm(f("gn_x"), groups: 2, weight: f("gn_w"), bias: f("gn_b")), f("gn_out"), tolerance: 1e-5, "group norm")
    }

    func testShapeAndIndexing() {
        let t = f("t")
        assertClose(t.padded([(1, 2), (2, 1)], mode: .reflect), f("pad_reflect"), "reflect pad")
        assertClose(t.padded([(0, 1), (2, 0)], mode: .constant(0.5)), f("pad_const"), "constant pad")
        assertClose(t.repeated([2, 1, 3]), f("repeat_2_1_3"), "repeat")
        assertClose(t.permuted([2, 0, 1]), f("permute_201"), "permute")
        assertClose(t.slice(axis: -1, start: 1, end: 4, step: 2), f("slice_last_1_4_2"), "slice with step")
        assertClose(t.gathering(axis: 1, indices: f("gather_idx")), f("gather_1"), "gather")
        assertClose(Tensor.zeros([2, 3, 4]).scatteringAdd(axis: 1, indices: f("gather_idx"), values: f("scatter_src")), f("scatter_add_1"), "scatter add")
        let (values, indices) = t.topK(2, axis: 2)
        assertClose(values, f("topk2_values"), "top-k values")
        assertClose(indices, f("topk2_indices"), "top-k indices")
        let pieces = t.split(sizes: [1, 3], axis: 2)
        assertClose(concatenate(pieces, axis: 2), t, "split then concatenate")
        assertClose(stack([t, t * 2], axis: 1).slice(axis: 1, start: 1, end: 2).squeezed(axis: 1), t * 2, "stack")
        XCTAssertEqual(t.chunked(3, axis: 2).map(\.shape), [[2, 3, 2], [2, 3, 2]])
        XCTAssertEqual(oneHot(Tensor([2, 0]), classCount: 3).scalars, [0, 0, 1, 1, 0, 0])
        let table = Tensor([0, 1, 10, 11, 20, 21], shape: [3, 2])
        XCTAssertEqual(embedding(Tensor([2, 0, 2, 1], shape: [2, 2]), weight: table).scalars, [20, 21, 0, 1, 20, 21, 10, 11])
        XCTAssertEqual(t.transposed().shape, [2, 4, 3])
        XCTAssertEqual(t.flattened(startAxis: 1).shape, [2, 12])
    }
}

private func assertClose(_ a: Tensor, _ b: Tensor, name: String, file: StaticString = #filePath, line: UInt = #line) {
    assertClose(a, b, tolerance: 1e-6, name, file: file, line: line)
}
