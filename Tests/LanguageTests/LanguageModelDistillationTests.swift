import Datasets
import Distillation
import Language
import NN
import Tensors
import Training
import XCTest

/// Distilling `LanguageDemo`'s character teacher into 48-wide GPTs on Tiny Shakespeare:
/// word-level KD beats training alone at an equal step budget (validation loss), and the
/// on-policy objectives (GKD, MiniLLM) write samples the teacher finds more likely than
/// word-level KD's.
final class LanguageModelDistillationTests: XCTestCase {
    /// The students: 400 steps, two seeds.
    func testWordLevelKDBeatsTheStudentAloneAtEqualSteps() throws {
        let teacher = try CharacterTeacher.trained()
        var (alone, distilled) = ([Double](), [Double]())
        for seed: UInt64 in [21, 22] {
            alone.append(try LanguageDemo.train(LanguageDemo.gpt(width: 48, for: teacher.text, seed: seed), LanguageDemo.textAlone(), teacher: nil,
                                                steps: 400, on: teacher.text, seed: seed).loss)
            distilled.append(try LanguageDemo.train(LanguageDemo.gpt(width: 48, for: teacher.text, seed: seed),
                                                    objective: LanguageModelDistillation.wordLevel(teacher: teacher.model),
                                                    steps: 400, on: teacher.text, seed: seed).loss)
        }
        print("validation loss: teacher \(teacher.metrics.loss); students alone \(alone), by word-level KD \(distilled)")
        XCTAssertLessThan(distilled.reduce(0, +), alone.reduce(0, +))
        XCTAssertLessThan(teacher.metrics.loss, alone.min()!, "the teacher knows more than the students reach alone")
    }

    /// From one student trained 300 steps by word-level KD (as both papers start from a
    /// supervised student), 300 more steps each way, two seeds: GKD (β = 0.5, half the batches
    /// on-policy) and MiniLLM (reverse KL by policy gradient on teacher-mixed samples) each
    /// give samples of lower teacher NLL than word-level KD.
    func testOnPolicyStudentsWriteSamplesTheTeacherFindsMoreLikelyThanWordLevelKD() throws {
        let teacher = try CharacterTeacher.trained()
        var nll: [String: [Double]] = [:], validation: [String: [Double]] = [:]
        for seed: UInt64 in [21, 22] {
            let start = try LanguageDemo.warmStudent(teacher: teacher.model, steps: 300, on: teacher.text, seed: seed)
            let objectives: [(String, any TrainingObjective)] = [
                ("word-level", LanguageModelDistillation.wordLevel(teacher: teacher.model)),
                ("gkd", LanguageDemo.generalized(teacher: teacher.model)),
                ("minillm", MiniLLM(teacher: teacher.model, promptLength: 8)),
            ]
            for (name, objective) in objectives {
                let (student, metrics) = try LanguageDemo.continued(from: start, by: objective, steps: 300, on: teacher.text, seed: seed + 100)
                validation[name, default: []].append(metrics.loss)
                nll[name, default: []].append(LanguageDemo.teacherNLLOfSamples(from: student, teacher: teacher.model, on: teacher.text))
            }
        }
        print("teacher NLL of the students' samples: \(nll); validation loss \(validation)")
        let total = nll.mapValues { $0.reduce(0, +) }
        XCTAssertLessThan(total["gkd"]!, total["word-level"]!)
        XCTAssertLessThan(total["minillm"]!, total["word-level"]!)
    }

    private func tinyGPT(seed: UInt64, vocabulary: Int = 11, width: Int = 16) -> GPT {
        var generator = RandomGenerator(seed: seed)
        return GPT(GPT.Configuration(vocabularySize: vocabulary, contextLength: 8, layers: 1, heads: 2, embedding: width), using: &generator)
    }

    private func windows(rows: Int = 3) -> Batch {
        let tokens = (0..<(rows * 9)).map { Float(($0 * 7 + 3) % 11) }
        let all = Tensor(tokens, shape: [rows, 9])
        return Batch(inputs: all.slice(axis: 1, start: 0, end: 8), labels: all.slice(axis: 1, start: 1, end: 9))
    }

    /// Word-level KD through this objective is the stock `kd` term at T = 1 on the same batch.
    func testWordLevelEqualsTheKDTermAtTemperatureOne() throws {
        let (teacher, student) = (tinyGPT(seed: 1, width: 24), tinyGPT(seed: 2))
        let batch = windows()
        var generator = RandomGenerator(seed: 3)
        let objective = LanguageModelDistillation.wordLevel(teacher: teacher)
        let value = try objective.loss(try objective.prepare(batch, student: student, epoch: 0, using: &generator), student: student).total
        let stock = DistillationObjective(teacher: ModelTeacher(teacher), loss: WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 1))]))
        let reference = try stock.loss(try stock.prepare(batch, student: student, epoch: 0, using: &generator), student: student).total
        XCTAssertEqual(value.item, reference.item, accuracy: 1e-5)
    }

    /// Sequence-level KD trains on the teacher's greedy continuation of each prompt, scoring
    /// only the continuation; the data's own tokens after the prompt do not matter.
    func testSequenceLevelKDScoresTheTeachersGreedyContinuation() throws {
        let (teacher, student) = (tinyGPT(seed: 4, width: 24), tinyGPT(seed: 5))
        let batch = windows()
        var altered = batch
        altered.inputs = concatenate([batch.inputs.slice(axis: 1, start: 0, end: 3), Tensor.zeros([3, 5])], axis: 1)
        let objective = LanguageModelDistillation.sequenceLevel(teacher: teacher, promptLength: 3)
        var generator = RandomGenerator(seed: 6)
        let loss = try objective.loss(try objective.prepare(batch, student: student, epoch: 0, using: &generator), student: student).total
        let sameLoss = try objective.loss(try objective.prepare(altered, student: student, epoch: 0, using: &generator), student: student).total
        XCTAssertEqual(loss.item, sameLoss.item, accuracy: 1e-6, "only the prompt is read from the data")
        // By hand: the teacher's greedy continuation, then the student's CE on it from the prompt's last position.
        var unused = RandomGenerator(seed: 0)
        var expected: Float = 0
        for row in 0..<3 {
            let prompt = batch.inputs.slice(axis: 0, start: row, end: row + 1).slice(axis: 1, start: 0, end: 3).integerScalars
            let continuation = teacher.generate(after: prompt, count: 6, using: &unused)
            expected -= student.logProbability(of: continuation, after: prompt) / 6
        }
        XCTAssertEqual(loss.item, expected / 3, accuracy: 1e-4)
    }

    /// A teacher filter that passes every continuation leaves the loss as it was; one that
    /// passes the least perplexing row alone scores that row, as a batch of it alone would;
    /// one that passes none gives 0, not 0/0.
    func testTheTeacherFilterLeavesTheRejectedContinuationsOut() throws {
        let (teacher, student, reference) = (tinyGPT(seed: 4, width: 24), tinyGPT(seed: 5), tinyGPT(seed: 6))
        let batch = windows()
        func loss(_ filter: PerplexityFilter?, _ batch: Batch) throws -> (total: Float, kept: Float?) {
            let objective = LanguageModelDistillation(teacher: teacher, divergence: .crossEntropy, offPolicy: .teacher(.sampled(.greedy)),
                                                      promptLength: 3, teacherFilter: filter)
            var generator = RandomGenerator(seed: 7)
            let (total, parts) = try objective.loss(try objective.prepare(batch, student: student, epoch: 0, using: &generator), student: student)
            return (total.item, parts["kept"])
        }
        var generator = RandomGenerator(seed: 0)
        let written = teacher.sample(continuing: batch.inputs.slice(axis: 1, start: 0, end: 3), count: 6, using: &generator)
        let scores = reference.negativeLogLikelihoods(of: written, after: 3)
        XCTAssertEqual(scores.reduce(0, +) / 3, reference.negativeLogLikelihood(of: written, after: 3), accuracy: 1e-5)
        let best = scores.indices.min { scores[$0] < scores[$1] }!
        let unfiltered = try loss(nil, batch)
        let passAll = try loss(PerplexityFilter(reference: reference, maximumNegativeLogLikelihood: scores.max()!), batch)
        XCTAssertEqual(passAll.total, unfiltered.total, accuracy: 1e-6)
        XCTAssertEqual(passAll.kept, 1)
        let passOne = try loss(PerplexityFilter(reference: reference, maximumNegativeLogLikelihood: scores[best]), batch)
        var single = batch
        (single.inputs, single.labels) = (batch.inputs.slice(axis: 0, start: best, end: best + 1), batch.labels!.slice(axis: 0, start: best, end: best + 1))
        XCTAssertEqual(passOne.total, try loss(nil, single).total, accuracy: 1e-5)
        XCTAssertEqual(passOne.kept ?? 0, 1 / 3, accuracy: 1e-6)
        let passNone = try loss(PerplexityFilter(reference: reference, maximumNegativeLogLikelihood: scores.min()! / 2), batch)
        XCTAssertEqual(passNone.total, 0)
        XCTAssertEqual(passNone.kept, 0)
        XCTAssertEqual(PerplexityFilter.calibrated(reference: reference, on: written, promptLength: 3, keeping: 1).maximumNegativeLogLikelihood,
                       scores.max()!, accuracy: 1e-9)
    }

    /// λ = 1 samples every batch from the student, λ = 0 none; β = 1 is the reverse KL.
    func testTheOnPolicyFractionDecidesWhoWritesEachBatch() throws {
        let (teacher, student) = (tinyGPT(seed: 7, width: 24), tinyGPT(seed: 8))
        let batch = windows()
        for (fraction, expected) in [(Float(1), Float(1)), (0, 0)] {
            let objective = LanguageModelDistillation.generalized(teacher: teacher, beta: 1, onPolicyFraction: fraction, promptLength: 2)
            for step in 0..<4 {
                var generator = RandomGenerator(seed: UInt64(step))
                let parts = try objective.loss(try objective.prepare(batch, student: student, epoch: 0, using: &generator), student: student).parts
                XCTAssertEqual(parts["on_policy"], expected)
                XCTAssertGreaterThan(parts["jsd"] ?? 0, 0)
            }
        }
    }

    /// MiniLLM's loss at α → 0 and a student equal to the teacher: the reverse KL and every
    /// reward vanish, so the loss and its gradient are 0.
    func testMiniLLMVanishesWhenTheStudentIsTheTeacher() throws {
        let model = tinyGPT(seed: 9)
        let objective = MiniLLM(teacher: model, teacherMixture: 0.2, promptLength: 2)
        var generator = RandomGenerator(seed: 10)
        let prepared = try objective.prepare(windows(), student: model, epoch: 0, using: &generator)
        let (total, parts) = try objective.loss(prepared, student: model)
        XCTAssertEqual(total.item, 0, accuracy: 1e-5)
        XCTAssertEqual(parts["reward"] ?? 1, 0, accuracy: 1e-5)
    }
}
