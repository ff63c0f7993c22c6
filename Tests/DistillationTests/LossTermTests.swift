import Distillation
import Foundation
import NN
import Tensors
import XCTest

/// Each loss term against the official implementation's formula (Fixtures/make_fixtures.py,
/// PyTorch) and a finite-difference check of its gradient with respect to the student.
final class LossTermTests: XCTestCase {
    private static let reference: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reference.json")
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }()

    private func f(_ name: String) -> Tensor {
        let entry = Self.reference[name] as! [String: Any]
        return Tensor((entry["data"] as! [Double]).map { Float($0) }, shape: entry["shape"] as! [Int])
    }

    private var logitsBatch: DistillationBatch {
        DistillationBatch(studentLogits: f("student_logits"), teacherLogits: f("teacher_logits"), labels: f("labels"))
    }

    private var featureBatch: DistillationBatch {
        DistillationBatch(
            studentLogits: f("student_logits"),
            studentFeatures: ["s.map": f("feature_student"), "s.embedding": f("embedding_student")],
            teacherFeatures: ["t.map": f("feature_teacher"), "t.embedding": f("embedding_teacher")])
    }

    /// Asserts the term's value and checks its gradient with respect to the student's
    /// logits or the student's feature at `studentFeature`.
    private func check(_ term: any LossTerm, expected: String, studentFeature: String? = nil, in given: DistillationBatch? = nil,
                       tolerance: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        let batch = given ?? (studentFeature == nil ? logitsBatch : featureBatch)
        XCTAssertEqual(term(batch).item, f(expected).item, accuracy: tolerance * (1 + abs(f(expected).item)), "\(term.name) value", file: file, line: line)
        let input = studentFeature.map { batch.studentFeatures[$0]! } ?? batch.studentLogits
        let result = checkGradients(of: { values in
            var perturbed = batch
            if let path = studentFeature { perturbed.studentFeatures[path] = values[0] } else { perturbed.studentLogits = values[0] }
            return term(perturbed)
        }, at: [input])
        XCTAssertTrue(result.passed, "\(term.name): \(result)", file: file, line: line)
    }

    func testLogitTermsMatchTheOfficialFormulas() {
        check(KnowledgeDistillationLoss(temperature: 4), expected: "kd")
        check(DecoupledKD(alpha: 1, beta: 8, temperature: 4), expected: "dkd_a1_b8_T4")
        check(SoftTargetLoss(divergence: .jensenShannon, temperature: 2), expected: "ssld_js_T2")
        XCTAssertEqual(SoftTargetLoss(divergence: .kullbackLeibler, temperature: 4)(logitsBatch).item, f("kd").item, accuracy: 1e-5)
        let ce = CrossEntropyTerm()(logitsBatch).item
        XCTAssertEqual(ce, crossEntropy(logits: f("student_logits"), labels: f("labels")).item)
    }

    func testCrossEntropySkipsUnlabeledSamples() {
        var batch = logitsBatch
        let labels = f("labels").scalars
        batch.labels = Tensor([labels[0], labels[1], -1, -1, -1, -1])
        let firstTwo = crossEntropy(logits: f("student_logits").slice(axis: 0, start: 0, end: 2), labels: Tensor(Array(labels[0..<2])))
        XCTAssertEqual(CrossEntropyTerm()(batch).item, firstTwo.item, accuracy: 1e-6)
        batch.labels = Tensor([Float](repeating: -1, count: 6))
        XCTAssertEqual(CrossEntropyTerm()(batch).item, 0, "no labeled sample, no loss")
    }

    func testFeatureTermsMatchTheOfficialFormulas() {
        check(AttentionTransfer(pairs: [(student: "s.map", teacher: "t.map")]), expected: "at", studentFeature: "s.map")
        check(SimilarityPreserving(student: "s.map", teacher: "t.map"), expected: "sp", studentFeature: "s.map")
        check(RelationalKD(student: "s.embedding", teacher: "t.embedding"), expected: "rkd", studentFeature: "s.embedding", tolerance: 1e-4)
        check(ProbabilisticKT(student: "s.embedding", teacher: "t.embedding"), expected: "pkt", studentFeature: "s.embedding")
        var generator = RandomGenerator(seed: 0)
        let fitnets = FitNetsHint(student: "s.map", teacher: "t.map", studentChannels: 4, teacherChannels: 8, using: &generator)
        fitnets.regressor.update(parameters: ["weight": f("fitnets_regressor")])
        check(fitnets, expected: "fitnets", studentFeature: "s.map")
        XCTAssertEqual(fitnets.trainableModules.first?.parameterCount, 32)
    }

    func testTermsVanishWhenTheStudentMatchesTheTeacher() {
        let logits = f("teacher_logits")
        let same = DistillationBatch(
            studentLogits: logits, teacherLogits: logits, labels: f("labels"),
            studentFeatures: ["a": f("embedding_teacher")], teacherFeatures: ["a": f("embedding_teacher")])
        XCTAssertEqual(KnowledgeDistillationLoss()(same).item, 0, accuracy: 1e-6)
        XCTAssertEqual(DecoupledKD()(same).item, 0, accuracy: 1e-5)
        XCTAssertEqual(RelationalKD(student: "a", teacher: "a")(same).item, 0, accuracy: 1e-6)
        XCTAssertEqual(ProbabilisticKT(student: "a", teacher: "a")(same).item, 0, accuracy: 1e-6)
        XCTAssertEqual(SimilarityPreserving(student: "a", teacher: "a")(same).item, 0, accuracy: 1e-9)
    }

    func testWeightedLossSumsTermsAndReportsParts() {
        let loss = WeightedLoss([(weight: 0.9, term: KnowledgeDistillationLoss(temperature: 4)), (weight: 0.1, term: CrossEntropyTerm())])
        let (total, parts) = loss(logitsBatch)
        XCTAssertEqual(total.item, 0.9 * f("kd").item + 0.1 * parts["ce"]!, accuracy: 1e-5)
        XCTAssertEqual(parts["kd"]!, f("kd").item, accuracy: 1e-5)
        let withFeatures = WeightedLoss([(weight: 1, term: AttentionTransfer(pairs: [(student: "layer2", teacher: "block2")]))])
        XCTAssertEqual(withFeatures.studentFeaturePaths, ["layer2"])
        XCTAssertEqual(withFeatures.teacherFeaturePaths, ["block2"])
    }

    func testVariationalInformationDistillationMatchesTheOfficialFormula() {
        var generator = RandomGenerator(seed: 1)
        let vid = VariationalInformationDistillation(student: "s.map", teacher: "t.map", studentChannels: 4, teacherChannels: 8, using: &generator)
        vid.predictor.update(parameters: ["regressor.0.weight": f("vid_w1"), "regressor.2.weight": f("vid_w2"), "regressor.4.weight": f("vid_w3")])
        XCTAssertEqual(vid.trainableModules.first?.parameterCount, 32 + 64 + 64 + 8)
        check(vid, expected: "vid", studentFeature: "s.map")
    }

    /// NST as RepDistiller computes it: maps of one size, the student's pooled to the
    /// teacher's, and the teacher's pooled to the student's; zero for equal features.
    func testNeuronSelectivityTransferMatchesTheOfficialFormula() {
        var batch = featureBatch
        (batch.studentFeatures["s.large"], batch.teacherFeatures["t.small"]) = (f("nst_student"), f("nst_teacher"))
        (batch.studentFeatures["s.small"], batch.teacherFeatures["t.large"]) = (f("nst_teacher"), f("nst_student"))
        check(NeuronSelectivityTransfer(pairs: [(student: "s.map", teacher: "t.map")]), expected: "nst_same_size", studentFeature: "s.map")
        check(NeuronSelectivityTransfer(pairs: [(student: "s.large", teacher: "t.small")]), expected: "nst", studentFeature: "s.large", in: batch)
        check(NeuronSelectivityTransfer(pairs: [(student: "s.small", teacher: "t.large")]), expected: "nst_teacher_pooled", studentFeature: "s.small", in: batch)
        let both = NeuronSelectivityTransfer(pairs: [(student: "s.map", teacher: "t.map"), (student: "s.large", teacher: "t.small")])
        XCTAssertEqual(both(batch).item, f("nst_same_size").item + f("nst").item, accuracy: 1e-5, "summed over the pairs")
        batch.studentFeatures["s.same"] = f("feature_teacher")
        XCTAssertEqual(NeuronSelectivityTransfer(pairs: [(student: "s.same", teacher: "t.map")])(batch).item, 0, accuracy: 1e-6)
    }

    /// CC with fixed embeddings, in RepDistiller's form and the paper's RBF form; the
    /// embeddings are trained with the student.
    func testCorrelationCongruenceMatchesTheOfficialFormulas() {
        for (kernel, expected) in [(CorrelationCongruence.Kernel.repdistiller, "cc"), (.rbf, "cc_rbf")] {
            var generator = RandomGenerator(seed: 3)
            let cc = CorrelationCongruence(student: "s.embedding", teacher: "t.embedding", studentFeatures: 7, teacherFeatures: 5, embedding: 4,
                                           kernel: kernel, using: &generator)
            cc.studentEmbedding.update(parameters: ["weight": f("cc_student_weight"), "bias": f("cc_student_bias")])
            cc.teacherEmbedding.update(parameters: ["weight": f("cc_teacher_weight"), "bias": f("cc_teacher_bias")])
            XCTAssertEqual(cc.trainableModules.map(\.parameterCount), [32, 24])
            check(cc, expected: expected, studentFeature: "s.embedding")
        }
    }

    /// FSP over three layers of each model (two Gram matrices, the first pair pooled to
    /// the smaller map), against RepDistiller's formula; its gradient in each student layer.
    func testFlowOfSolutionProcedureMatchesTheOfficialFormula() {
        var batch = featureBatch
        for i in 0..<3 { (batch.studentFeatures["s.\(i)"], batch.teacherFeatures["t.\(i)"]) = (f("fsp_student_\(i)"), f("fsp_teacher_\(i)")) }
        let fsp = FlowOfSolutionProcedure(studentLayers: ["s.0", "s.1", "s.2"], teacherLayers: ["t.0", "t.1", "t.2"])
        for layer in 0..<3 { check(fsp, expected: "fsp", studentFeature: "s.\(layer)", in: batch) }
        var same = batch
        for i in 0..<3 { same.studentFeatures["s.\(i)"] = f("fsp_teacher_\(i)") }
        XCTAssertEqual(fsp(same).item, 0)
    }

    /// AB over three pairs with identity connectors (margin 1, and ½), against RepDistiller's
    /// `ABLoss`; its gradient in each student feature; zero when the student is past the
    /// margin on the teacher's side everywhere.
    func testActivationBoundariesMatchTheOfficialFormula() {
        var batch = featureBatch
        for i in 0..<3 { (batch.studentFeatures["s.\(i)"], batch.teacherFeatures["t.\(i)"]) = (f("ab_student_\(i)"), f("ab_teacher_\(i)")) }
        let pairs = (0..<3).map { (student: "s.\($0)", teacher: "t.\($0)") }
        for (margin, expected) in [(Float(1), "ab"), (0.5, "ab_margin_half")] {
            let ab = ActivationBoundaries(pairs: pairs, connectors: pairs.map { _ in Identity() }, margin: margin)
            for layer in 0..<3 { check(ab, expected: expected, studentFeature: "s.\(layer)", in: batch) }
        }
        var agreeing = batch
        for i in 0..<3 { 
            let teacher = f("ab_teacher_\(i)")
            agreeing.studentFeatures["s.\(i)"] = Tensor(teacher.scalars.map { $0 > 0 ? 1.5 : -1.5 }, shape: teacher.shape)
        }
        XCTAssertEqual(ActivationBoundaries(pairs: pairs, connectors: pairs.map { _ in Identity() })(agreeing).item, 0)
    }

    /// FT's factor loss with identity modules (so the factors are the maps' own), the larger
    /// map pooled to the smaller whichever model's it is, against RepDistiller's
    /// `FactorTransfer`; its gradient in the student's map.
    func testFactorTransferMatchesTheOfficialFormula() {
        let identity = Paraphraser(encoder: Sequential([Identity()]), decoder: Sequential([Identity()]))
        var batch = featureBatch
        (batch.studentFeatures["s.ft"], batch.teacherFeatures["t.ft"]) = (f("ft_student"), f("ft_teacher"))
        let ft = FactorTransfer(student: "s.ft", teacher: "t.ft", paraphraser: identity, translator: Identity(), initialisation: nil)
        check(ft, expected: "ft", studentFeature: "s.ft", in: batch)
        (batch.studentFeatures["s.ft"], batch.teacherFeatures["t.ft"]) = (f("ft_teacher"), f("ft_student"))
        check(ft, expected: "ft_teacher_pooled", studentFeature: "s.ft", in: batch)
        XCTAssertEqual(ft.trainableModules.count, 1, "the translator trains with the student; the paraphraser only in its stage")
    }

    /// FT's paraphraser and translator have RepDistiller's parameter names and shapes (its
    /// `Paraphraser` without batch norm, its `Translator` with it), so their weights load there.
    func testFactorTransfersModulesAreNamedAsRepDistillers() {
        var generator = RandomGenerator(seed: 1)
        let paraphraser = Paraphraser(channels: 8, using: &generator)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: paraphraser.stateDict().map { ($0.key, $0.value.shape) }), [
            "encoder.0.weight": [8, 8, 3, 3], "encoder.0.bias": [8], "encoder.3.weight": [4, 8, 3, 3], "encoder.3.bias": [4],
            "encoder.6.weight": [4, 4, 3, 3], "encoder.6.bias": [4], "decoder.0.weight": [4, 4, 3, 3], "decoder.0.bias": [4],
            "decoder.3.weight": [4, 8, 3, 3], "decoder.3.bias": [8], "decoder.6.weight": [8, 8, 3, 3], "decoder.6.bias": [8],
        ])
        let input = Tensor.normal([2, 8, 4, 4], using: &generator)
        XCTAssertEqual(paraphraser(input).shape, input.shape)
        XCTAssertEqual(paraphraser.encoder(input).shape, [2, 4, 4, 4])
        let translator = Translator(studentChannels: 4, teacherChannels: 8, using: &generator)
        let names = Set(translator.stateDict().keys)
        for name in ["encoder.0.weight", "encoder.1.running_mean", "encoder.3.weight", "encoder.4.weight", "encoder.6.weight", "encoder.7.running_var"] {
            XCTAssertTrue(names.contains(name), "\(name) in \(names.sorted())")
        }
        XCTAssertEqual(translator(Tensor.normal([2, 4, 4, 4], using: &generator)).shape, [2, 4, 4, 4])
    }

    /// RepDistiller's `ConvReg` picks its convolution by the maps' sizes.
    func testTheConvolutionalRegressorMapsEachStudentSizeToTheTeachers() {
        var generator = RandomGenerator(seed: 1)
        for (student, teacher) in [([2, 3, 8, 8], [2, 5, 4, 4]), ([2, 3, 4, 4], [2, 5, 8, 8]), ([2, 3, 6, 5], [2, 5, 4, 4]), ([2, 3, 4, 4], [2, 5, 4, 4])] {
            let regressor = ConvolutionalRegressor(student: student, teacher: teacher, appliesReLU: false, using: &generator)
            XCTAssertEqual(regressor?(Tensor.normal(student, using: &generator)).shape, teacher, "\(student) → \(teacher)")
        }
        XCTAssertTrue(ConvolutionalRegressor(student: [2, 3, 8, 8], teacher: [2, 5, 4, 4], appliesReLU: false, using: &generator)!.conv is Conv2d)
        XCTAssertTrue(ConvolutionalRegressor(student: [2, 3, 4, 4], teacher: [2, 5, 8, 8], appliesReLU: false, using: &generator)!.conv is ConvTranspose2d)
        XCTAssertNil(ConvolutionalRegressor(student: [2, 3, 3, 3], teacher: [2, 5, 8, 8], appliesReLU: false, using: &generator))
    }

    /// CRD's loss for fixed embeddings, banks and contrast sets, against the NCE formula
    /// written out in scalars; its gradient; and the bank update after a step.
    func testContrastiveRepresentationDistillationByHand() {
        var generator = RandomGenerator(seed: 2)
        let (n, samples, size) = (3, 10, 4)
        let crd = ContrastiveRepresentationDistillation(
            student: "s", teacher: "t", studentSize: 5, teacherSize: 6, samples: samples, embeddingSize: size, negatives: 4,
            temperature: 0.5, using: &generator)
        crd.memory.normalizers = Tensor([7, 9])
        let studentFeature = Tensor.normal([n, 5], using: &generator), teacherFeature = Tensor.normal([n, 6], using: &generator)
        let contrast = [[0, 3, 4, 5, 9], [1, 0, 2, 7, 8], [6, 1, 1, 2, 3]]
        let (vs, vt) = (crd.embed(studentFeature, with: crd.embedStudent), crd.embed(teacherFeature, with: crd.embedTeacher))
        let value = crd.loss(studentEmbedding: vs, teacherEmbedding: vt, contrast: contrast).item
        // By hand.
        func side(_ embedding: Tensor, _ bank: Tensor, _ z: Double) -> Double {
            let e = embedding.scalars.map(Double.init), m = bank.scalars.map(Double.init), pn = 4.0 / 10, eps = 1e-7
            var total = 0.0
            for i in 0..<n {
                for (k, row) in contrast[i].enumerated() {
                    let dot = (0..<size).reduce(0.0) { $0 + e[i * size + $1] * m[row * size + $1] }
                    let p = exp(dot / 0.5) / z
                    total += k == 0 ? log(p / (p + pn + eps)) : log(pn / (p + pn + eps))
                }
            }
            return -total / Double(n)
        }
        let expected = side(vs, crd.memory.teacherBank, 7) + side(vt, crd.memory.studentBank, 9)
        XCTAssertEqual(Double(value), expected, accuracy: 1e-4 * abs(expected))
        let result = checkGradients(of: { values in
            crd.loss(studentEmbedding: crd.embed(values[0], with: crd.embedStudent), teacherEmbedding: vt, contrast: contrast)
        }, at: [studentFeature])
        XCTAssertTrue(result.passed, "\(result)")
        // A step: the positives' rows become normalize(0.5·old + 0.5·new); others stay.
        let before = crd.memory.studentBank
        _ = crd(DistillationBatch(studentLogits: Tensor.zeros([n, 2]), studentFeatures: ["s": studentFeature], teacherFeatures: ["t": teacherFeature],
                                  sampleIndices: [2, 5, 8]))
        let after = crd.memory.studentBank
        let mixed = (before.indexSelect(axis: 0, indices: [5]) + vs.detached().indexSelect(axis: 0, indices: [1])) * 0.5
        let expectedRow = mixed / mixed.norm(.l2)
        for (a, b) in zip(after.indexSelect(axis: 0, indices: [5]).scalars, expectedRow.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(after.indexSelect(axis: 0, indices: [0]).scalars, before.indexSelect(axis: 0, indices: [0]).scalars)
    }

    /// MEAL V2's discriminator term: the value by hand, and each player's gradient from its own
    /// loss only (D from L_D, the student from L_G through a frozen D).
    func testMEALV2DiscriminatorRoutesEachPlayersGradient() {
        var generator = RandomGenerator(seed: 3)
        let meal = MEALV2Discriminator(classes: 5, hidden: 8, using: &generator)
        let batch = logitsBatch
        let d = meal.discriminator
        let dTeacher = d(f("teacher_logits").softmax(axis: 1)).scalars, dStudent = d(f("student_logits").softmax(axis: 1)).scalars
        func softplus(_ x: Float) -> Double { Double(log1p(exp(x))) }
        let expected = dTeacher.map { softplus(-$0) }.reduce(0, +) / 6 + dStudent.map { softplus($0) }.reduce(0, +) / 6
            + dStudent.map { softplus(-$0) }.reduce(0, +) / 6
        XCTAssertEqual(Double(meal(batch).item), expected, accuracy: 1e-5)
        // The student's gradient is L_G's alone.
        let student = f("student_logits").requiringGradient()
        var withStudent = batch
        withStudent.studentLogits = student
        let termGradient = gradients(of: meal(withStudent), wrt: [student])[0]
        let generatorGradient = gradients(of: binaryCrossEntropy(logits: d(student.softmax(axis: 1)), targets: Tensor.ones([6, 1])), wrt: [student])[0]
        for (a, b) in zip(termGradient.scalars, generatorGradient.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        // The discriminator's gradient is L_D's alone.
        let (_, parameterGradients) = d.valueAndGradients { meal(batch) }
        let (_, discriminatorGradients) = d.valueAndGradients {
            binaryCrossEntropy(logits: d(f("teacher_logits").softmax(axis: 1)), targets: Tensor.ones([6, 1]))
                + binaryCrossEntropy(logits: d(f("student_logits").softmax(axis: 1)), targets: Tensor.zeros([6, 1]))
        }
        for (path, g) in parameterGradients {
            for (a, b) in zip(g.scalars, discriminatorGradients[path]!.scalars) { XCTAssertEqual(a, b, accuracy: 1e-6, path) }
        }
        XCTAssertTrue(checkGradients(of: { values in
            var perturbed = batch
            perturbed.studentLogits = values[0]
            return meal(perturbed)
        }, at: [f("student_logits")]).passed)
    }

    /// MI-α against the interpolated bound written out in Doubles (leave-one-out means by
    /// direct sums), at α = 0, ½ and 1, with a learned baseline ≠ 0; and its gradient.
    func testMutualInformationAlphaMatchesTheInterpolatedBoundByHand() {
        var generator = RandomGenerator(seed: 5)
        let (s, t) = (Tensor.normal([5, 6], using: &generator), Tensor.normal([5, 4], using: &generator))
        for alpha: Float in [0, 0.5, 1] {
            let term = MutualInformationAlpha(student: "s", teacher: "t", studentSize: 6, teacherSize: 4, alpha: alpha, criticSize: 8, using: &generator)
            term.critic.update(parameters: ["baseline": Tensor([0.3])])
            let scores = term.scores(studentFeature: s, teacherFeature: t).scalars.map(Double.init)
            let k = 5, a = Double(alpha), b = 0.3
            func score(_ i: Int, _ j: Int) -> Double { scores[i * k + j] }
            func interpolated(_ i: Int, _ j: Int) -> Double {
                let looMean = (0..<k).filter { $0 != j }.map { exp(score(i, $0)) }.reduce(0, +) / Double(k - 1)
                return log(a * looMean + (1 - a) * exp(b))
            }
            var joint = 0.0, marginal = 0.0
            for i in 0..<k { for j in 0..<k where j != i {
                joint += score(i, i) - interpolated(i, j)
                marginal += exp(score(i, j) - interpolated(i, i))
            } }
            let expected = 1 + joint / Double(k * (k - 1)) - marginal / Double(k * (k - 1))
            let batch = DistillationBatch(studentLogits: Tensor.zeros([5, 2]), studentFeatures: ["s": s], teacherFeatures: ["t": t])
            XCTAssertEqual(Double(term(batch).item), -expected, accuracy: 1e-4 * max(1, abs(expected)), "α = \(alpha)")
            let result = checkGradients(of: { values in
                var perturbed = batch
                perturbed.studentFeatures["s"] = values[0]
                return term(perturbed)
            }, at: [s])
            XCTAssertTrue(result.passed, "α = \(alpha): \(result)")
        }
    }

    /// Token relations by hand: per sample, rows of softmax(cosine similarities / τ) of the
    /// tokens, KL(teacher ‖ student) averaged over rows; widths may differ. And its gradient.
    func testTokenRelationsByHand() {
        var generator = RandomGenerator(seed: 7)
        let (s, t) = (Tensor.normal([2, 3, 4], using: &generator), Tensor.normal([2, 3, 6], using: &generator))
        let term = TokenRelationDistillation(student: "s", teacher: "t", temperature: 0.5)
        func relations(_ x: Tensor, _ width: Int) -> [[Double]] {
            let v = x.scalars.map(Double.init)
            var rows: [[Double]] = []
            for n in 0..<2 {
                let tokens = (0..<3).map { i -> [Double] in
                    let row = Array(v[((n * 3 + i) * width)..<((n * 3 + i + 1) * width)])
                    let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
                    return row.map { $0 / norm }
                }
                for i in 0..<3 {
                    var logits: [Double] = []
                    for j in 0..<3 {
                        var dot = 0.0
                        for d in 0..<width { dot += tokens[i][d] * tokens[j][d] }
                        logits.append(dot / 0.5)
                    }
                    let total = logits.map { exp($0) }.reduce(0, +)
                    rows.append(logits.map { exp($0) / total })
                }
            }
            return rows
        }
        let (p, q) = (relations(t, 6), relations(s, 4))
        var expected = 0.0
        for (pr, qr) in zip(p, q) { for (a, b) in zip(pr, qr) { expected += a * log(a / b) / 6 } }
        let batch = DistillationBatch(studentLogits: Tensor.zeros([2, 2]), studentFeatures: ["s": s], teacherFeatures: ["t": t])
        XCTAssertEqual(Double(term(batch).item), expected, accuracy: 1e-5)
        XCTAssertTrue(checkGradients(of: { values in
            var perturbed = batch
            perturbed.studentFeatures["s"] = values[0]
            return term(perturbed)
        }, at: [s]).passed)
    }
}
