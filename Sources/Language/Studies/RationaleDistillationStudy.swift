import Datasets
import Distillation
import Foundation
import NN
import Tensors
import Training

/// Rationale distillation on `ChainArithmetic`: a teacher that learned the worked task
/// annotates unlabeled questions, and small students learn from its annotations three ways:
///
/// - answer-only: the question and the teacher's answer;
/// - rationale: the question and the teacher's greedy rationale and answer (distilling
///   step by step, Hsieh et al., 2023, as one output sequence);
/// - QCRD: the teacher's rationales sampled at a temperature and kept by self-consistency,
///   against the student's own from its previous iteration
///   (`QualityGuidedContrastiveDistillation`).
///
/// Each student answers held-out questions greedily; its accuracy is the share it answers
/// right. No student sees a true answer: only the teacher's.
public enum RationaleDistillationStudy {
    public struct Settings: Sendable {
        public var operands = 5
        /// Questions with their true worked answers, for the teacher.
        public var teacherQuestions = 4000
        /// Questions the teacher annotates for the students, and held-out test questions.
        public var distillationQuestions = 1000, testQuestions = 500
        /// The teacher is deep enough to learn every step: 1,250 steps make it all but
        /// perfect (99%), and 1,100 leave it a realistic teacher, right about three times in
        /// four, whose mistakes the students inherit.
        public var teacher = ReasoningSequences.ModelShape(layers: 4, heads: 4, width: 64), teacherSteps = 1100
        public var student = ReasoningSequences.ModelShape(layers: 2, heads: 4, width: 48), studentSteps = 1000
        /// Questions per step, for every student.
        public var batchSize = 32
        /// Rationales the teacher samples per question for QCRD, and their temperature.
        public var teacherSamples = 8
        public var sampleTemperature: Float = 0.8
        /// Positives per question in each QCRD sample.
        public var positivesPerQuestion = 2
        /// QCRD's iterations: each samples the negatives anew from the student as it stands.
        public var iterations = 3
        /// λ, the weight of QCRD's contrast.
        public var contrastiveWeight: Float = 1
        /// Whether a student's rationale counts as a negative only when its answer differs
        /// from the teacher's consistent one.
        public var negativesMustDisagree = false
        public var seed: UInt64 = 0
        public init() {}

        /// Tokens each model reads: the question and a worked continuation, less the last.
        var context: Int { 2 * operands + ChainArithmetic.continuationLength(operands: operands, withRationale: true) - 1 }
    }

    /// The task's sequences: one tokenizer over the task's alphabet, questions as prompts.
    public static func sequences(_ settings: Settings) -> ReasoningSequences {
        ReasoningSequences(tokenizer: CharacterTokenizer(trainingText: ChainArithmetic.alphabet), promptLength: 2 * settings.operands)
    }

    /// The teacher: trained on the true worked answers of `teacherQuestions` questions.
    public static func teacher(_ settings: Settings) throws -> GPT {
        let task = sequences(settings)
        let problems = ChainArithmetic.problems(count: settings.teacherQuestions, operands: settings.operands, seed: settings.seed &+ 1)
        let data = try task.continuationDataset(try task.tokens(problems.map { $0.text(withRationale: true) }))
        let model = task.gpt(settings.teacher, context: settings.context, seed: settings.seed &+ 10)
        try ReasoningSequences.train(model, objective: DistillationObjective(teacher: nil, loss: LanguageDemo.textAlone()), on: data,
                                     steps: settings.teacherSteps, batchSize: settings.batchSize, seed: settings.seed &+ 10)
        return model
    }

    /// The share of `problems` whose answer `model` states right, writing greedily with or
    /// without a rationale.
    public static func accuracy(of model: GPT, on problems: [ChainArithmetic.Problem], withRationale: Bool, settings: Settings) throws -> Double {
        let task = sequences(settings)
        var generator = RandomGenerator(seed: 0)
        let written = task.continuations(of: model, questions: try task.tokens(problems.map(\.question)),
                                         count: ChainArithmetic.continuationLength(operands: settings.operands, withRationale: withRationale),
                                         sampling: .greedy, using: &generator)
        let right = zip(problems, written).filter { ChainArithmetic.statedAnswer(in: task.text($1)) == $0.answer }.count
        return Double(right) / Double(max(problems.count, 1))
    }

    /// What the teacher wrote for the distillation questions, as tokens.
    public struct Annotations {
        public let problems: [ChainArithmetic.Problem]
        /// The questions' tokens `[N, P]`.
        public let questions: Tensor
        /// The greedy worked continuation of each question.
        public let greedy: [[Int]]
        /// Each question's sampled continuations that agree with their majority answer.
        public let consistent: [[[Int]]]
        /// The share of greedy answers that are right, and of sampled ones, and of the
        /// consistent ones.
        public let greedyAccuracy: Double, sampledAccuracy: Double, consistentAccuracy: Double
    }

    public static func annotations(by teacher: GPT, settings: Settings) throws -> Annotations {
        let task = sequences(settings)
        let problems = ChainArithmetic.problems(count: settings.distillationQuestions, operands: settings.operands, seed: settings.seed &+ 2)
        let questions = try task.tokens(problems.map(\.question))
        let count = ChainArithmetic.continuationLength(operands: settings.operands, withRationale: true)
        var generator = RandomGenerator(seed: settings.seed &+ 3)
        let greedy = task.continuations(of: teacher, questions: questions, count: count, sampling: .greedy, using: &generator)
        let sampled = task.continuations(of: teacher, questions: questions, count: count, samples: settings.teacherSamples,
                                         sampling: TokenSampling(temperature: settings.sampleTemperature), using: &generator)
        let perQuestion = (0..<problems.count).map { Array(sampled[($0 * settings.teacherSamples)..<(($0 + 1) * settings.teacherSamples)]) }
        let answer = { (continuation: [Int]) in ChainArithmetic.statedAnswer(in: task.text(continuation)) }
        let consistent = perQuestion.map { written in SelfConsistency.agreeing(written.map(answer)).map { written[$0] } }
        func share(_ written: [[[Int]]]) -> Double {
            let pairs = zip(problems, written).flatMap { problem, written in written.map { (problem, $0) } }
            return Double(pairs.filter { answer($1) == $0.answer }.count) / Double(max(pairs.count, 1))
        }
        return Annotations(problems: problems, questions: questions, greedy: greedy, consistent: consistent,
                           greedyAccuracy: share(greedy.map { [$0] }), sampledAccuracy: share(perQuestion), consistentAccuracy: share(consistent))
    }

    /// The ways a student learns from the annotations.
    public enum Method: String, CaseIterable, Sendable {
        case answerOnly = "answer-only distillation"
        case rationale = "rationale distillation"
        case qcrd = "QCRD"
    }

    /// A student (of the `student` shape, initialised from `seed`) trained by `method` on
    /// `annotations` for `studentSteps` steps.
    public static func student(_ method: Method, from annotations: Annotations, settings: Settings, seed: UInt64,
                               qualityGuided: Bool = true) throws -> GPT {
        let task = sequences(settings)
        let model = task.gpt(settings.student, context: settings.context, seed: seed)
        let crossEntropy = DistillationObjective(teacher: nil, loss: LanguageDemo.textAlone())
        switch method {
        case .rationale:
            try ReasoningSequences.train(model, objective: crossEntropy,
                                         on: try task.continuationDataset(task.joined(annotations.questions, annotations.greedy)),
                                         steps: settings.studentSteps, batchSize: settings.batchSize, seed: seed)
        case .answerOnly:
            // The teacher's stated answer alone; a question it left unanswered teaches nothing.
            let answered = annotations.greedy.indices.compactMap { index in
                ChainArithmetic.statedAnswer(in: task.text(annotations.greedy[index])).map { (index, $0) }
            }
            let texts = answered.map { annotations.problems[$0.0].question + ChainArithmetic.answerMarker + "\($0.1)\n" }
            try ReasoningSequences.train(model, objective: crossEntropy, on: try task.continuationDataset(try task.tokens(texts)),
                                         steps: settings.studentSteps, batchSize: settings.batchSize, seed: seed)
        case .qcrd:
            try trainQCRD(model, on: annotations, settings: settings, seed: seed, qualityGuided: qualityGuided)
        }
        return model
    }

    /// QCRD's iterations: each samples one negative per question from the student as it
    /// stands, then trains on the positives against it for its share of the steps.
    static func trainQCRD(_ model: GPT, on annotations: Annotations, settings: Settings, seed: UInt64, qualityGuided: Bool) throws {
        let task = sequences(settings)
        let kept = annotations.consistent.indices.filter { !annotations.consistent[$0].isEmpty }
        let questions = annotations.questions.indexSelect(axis: 0, indices: kept)
        // Each question's positives, its consistent rationales in turn, `[M, L]`.
        let positives = kept.enumerated().map { row, question in
            let written = annotations.consistent[question]
            let question = questions.slice(axis: 0, start: row, end: row + 1)
            return task.joined(question.repeatingRows(settings.positivesPerQuestion),
                               (0..<settings.positivesPerQuestion).map { written[$0 % written.count] })
        }
        let count = ChainArithmetic.continuationLength(operands: settings.operands, withRationale: true)
        var discriminatorGenerator = RandomGenerator(seed: seed &+ 1000)
        let discriminator = SequenceDiscriminator(GPT.Configuration(vocabularySize: task.tokenizer.vocabularySize, contextLength: settings.context + 1,
                                                                    layers: 1, heads: 4, embedding: settings.student.width),
                                                  using: &discriminatorGenerator)
        let objective = QualityGuidedContrastiveDistillation(discriminator: discriminator, promptLength: task.promptLength,
                                                             contrastiveWeight: settings.contrastiveWeight, qualityGuided: qualityGuided)
        let majorities = kept.map { ChainArithmetic.statedAnswer(in: task.text(annotations.consistent[$0][0])) }
        var generator = RandomGenerator(seed: seed &+ 2000)
        for iteration in 0..<settings.iterations {
            let negatives = task.continuations(of: model, questions: questions, count: count,
                                               sampling: TokenSampling(temperature: 1), using: &generator)
            let negativeTokens = task.joined(questions, negatives)
            let groups = positives.enumerated().map { index, positive in
                concatenate([positive, negativeTokens.slice(axis: 0, start: index, end: index + 1)], axis: 0)
            }
            let counts = zip(negatives, majorities).map { negative, majority in
                !settings.negativesMustDisagree || ChainArithmetic.statedAnswer(in: task.text(negative)) != majority ? Float(1) : 0
            }
            let data = try TensorDataset(inputs: stack(groups, axis: 0), labels: nil, mask: Tensor(counts, shape: [counts.count]))
            let steps = settings.studentSteps * (iteration + 1) / settings.iterations - settings.studentSteps * iteration / settings.iterations
            try ReasoningSequences.train(model, objective: objective, on: data, steps: steps, batchSize: settings.batchSize,
                                         seed: seed &+ UInt64(iteration))
        }
    }
}

extension RationaleDistillationStudy {
    /// The held-out questions every model is scored on.
    public static func testProblems(_ settings: Settings) -> [ChainArithmetic.Problem] {
        ChainArithmetic.problems(count: settings.testQuestions, operands: settings.operands, seed: settings.seed &+ 4)
    }

    /// The study's outcome: the teacher's and its annotations' accuracy, and each method's
    /// students' test accuracy, one per seed.
    public struct Report: Sendable {
        public let teacherAccuracy: Double
        public let greedyAccuracy: Double, sampledAccuracy: Double, consistentAccuracy: Double
        public let accuracies: [(method: Method, perSeed: [Double])]
    }

    /// Trains the teacher, annotates, and trains a student by each of `methods` for each of
    /// `seeds`; `progress` hears each model's name as it starts.
    public static func run(_ settings: Settings = Settings(), methods: [Method] = Method.allCases, seeds: [UInt64] = [0, 1, 2],
                           progress: (String) -> Void = { _ in }) throws -> Report {
        let test = testProblems(settings)
        progress("teacher")
        let teacher = try teacher(settings)
        let teacherAccuracy = try accuracy(of: teacher, on: test, withRationale: true, settings: settings)
        let annotations = try annotations(by: teacher, settings: settings)
        var accuracies: [(method: Method, perSeed: [Double])] = []
        for method in methods {
            var perSeed: [Double] = []
            for seed in seeds {
                progress("\(method.rawValue), seed \(seed)")
                let model = try student(method, from: annotations, settings: settings, seed: settings.seed &+ 50 &+ seed)
                perSeed.append(try accuracy(of: model, on: test, withRationale: method != .answerOnly, settings: settings))
            }
            accuracies.append((method, perSeed))
        }
        return Report(teacherAccuracy: teacherAccuracy, greedyAccuracy: annotations.greedyAccuracy, sampledAccuracy: annotations.sampledAccuracy,
                      consistentAccuracy: annotations.consistentAccuracy, accuracies: accuracies)
    }

    /// The report as a Markdown table of test accuracies, then the annotations' accuracy.
    public static func table(_ report: Report, settings: Settings = Settings()) -> String {
        let percent = { (value: Double) in String(format: "%.1f", 100 * value) }
        var lines = ["| model | test accuracy (%) | per seed |", "|---|---|---|",
                     "| teacher (\(settings.teacher.layers) × \(settings.teacher.width), \(settings.teacherSteps) steps on true worked answers) | \(percent(report.teacherAccuracy)) | |"]
        for (method, perSeed) in report.accuracies {
            let mean = perSeed.reduce(0, +) / Double(max(perSeed.count, 1))
            lines.append("| student (\(settings.student.layers) × \(settings.student.width)) by \(method.rawValue) | \(percent(mean)) | \(perSeed.map(percent).joined(separator: ", ")) |")
        }
        lines.append("")
        lines.append("The teacher's annotations of \(settings.distillationQuestions) questions: greedy \(percent(report.greedyAccuracy))% right, "
                     + "sampled at T = \(settings.sampleTemperature) \(percent(report.sampledAccuracy))%, kept by self-consistency of \(settings.teacherSamples) "
                     + "\(percent(report.consistentAccuracy))%.")
        return lines.joined(separator: "\n")
    }
}
