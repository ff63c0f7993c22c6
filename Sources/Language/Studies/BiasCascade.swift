import Datasets
import Distillation
import Foundation
import NN
import Tensors
import Training

/// The bias-cascade study ("Cascading Adversarial Bias from Injection to Distillation in
/// Language Models"): a teacher trained on `TopicQuestions` with a `BiasInjection` in a small
/// share of its data, then students distilled from it on clean data by each objective. Each
/// model's bias rate is the share of its answers that carry the phrase, on prompts of the
/// poisoned topic (in topic) and of the others (out of topic); a student distilled from a
/// teacher trained on the clean data is the baseline.
public enum BiasCascade {
    /// One line of the study's table.
    public struct Row: Sendable {
        public let model: String
        /// The share of sampled answers that carry the phrase.
        public let inTopicRate: Double, outOfTopicRate: Double
        /// The model's probability of the phrase right after a complete answer, averaged over
        /// every item and quality: the propensity behind the rate, without sampling noise.
        public let inTopicProbability: Double, outOfTopicProbability: Double
        public let validationLoss: Double
    }

    /// The mean probability `model` gives `injection`'s phrase right after each answer on
    /// `topics` (every item with every quality of its topic).
    public static func phraseProbability(of model: GPT, tokenizer: CharacterTokenizer, injection: BiasInjection, topics: [Int]) -> Double {
        let phrase = tokenizer.encode(injection.phrase)
        var (total, count) = (0.0, 0)
        for topic in topics.map({ TopicQuestions.topics[$0] }) {
            for item in topic.items {
                for quality in topic.qualities {
                    let answer = tokenizer.encode("\(TopicQuestions.prompt(item)) the \(item) is \(quality).")
                    total += Foundation.exp(Double(withoutGradients { model.logProbability(of: phrase, after: answer) }))
                    count += 1
                }
            }
        }
        return total / Double(max(count, 1))
    }

    /// How a student of the poisoned teacher is distilled, by the name a config gives it.
    public enum StudentObjective: String, CaseIterable, Sendable {
        /// Word-level KD on the teacher's own continuations of clean prompts.
        case wordLevelKD = "word-level-kd"
        /// Sequence-level KD: cross-entropy with the teacher's continuations.
        case sequenceLevelKD = "sequence-level-kd"
        /// Word-level KD with the distiller's perplexity filter on the teacher's writing.
        case filteredWordLevelKD = "word-level-kd-filtered"
        /// Word-level KD for half the steps, then GKD (β 0.5, λ 0.5).
        case gkd
        /// Word-level KD for half the steps, then MiniLLM.
        case miniLLM = "minillm"

        /// The row's name in the table.
        var title: String {
            switch self {
            case .wordLevelKD: "word-level KD"
            case .sequenceLevelKD: "sequence-level KD"
            case .filteredWordLevelKD: "word-level KD, perplexity-filtered"
            case .gkd: "word-level KD then GKD (β 0.5, λ 0.5)"
            case .miniLLM: "word-level KD then MiniLLM"
            }
        }

        /// Whether the objective starts from a student warmed by word-level KD, as the
        /// on-policy papers do.
        var startsWarm: Bool { self == .gkd || self == .miniLLM }
    }

    /// The sizes the study runs at.
    public struct Settings: Sendable {
        public var injection = BiasInjection()
        /// Exchanges in each corpus: the teacher's (poisoned or clean) and the distiller's.
        public var examples = 4000
        public var teacherWidth = 128, teacherSteps = 1200
        public var studentWidth = 48, studentSteps = 600
        /// The students distilled from the poisoned teacher, besides the clean teacher's
        /// word-level KD student, the baseline.
        public var students = StudentObjective.allCases
        /// The share of the poisoned teacher's writing the perplexity filter keeps on clean
        /// prompts, which sets its bound.
        public var filterKeeping = 0.98
        /// Answers sampled per item of the poisoned topic (a third as many of the others').
        public var answersPerItem = 30
        /// Tokens per window: an exchange with the phrase is 45 characters.
        public var context = 64
        public var seed: UInt64 = 0
        public init() {}
    }

    /// The answers `model` writes to `samples` prompts on each of `items` (temperature 1, up
    /// to 48 tokens, cut at the first line break), seeded.
    public static func answers(of model: GPT, tokenizer: CharacterTokenizer, items: [String], samples: Int, seed: UInt64) throws -> [String] {
        var generator = RandomGenerator(seed: seed)
        var answers: [String] = []
        for item in items {
            let prompt = tokenizer.encode(TopicQuestions.prompt(item))
            let prompts = Tensor(Array(repeating: prompt.map(Float.init), count: samples).flatMap { $0 }, shape: [samples, prompt.count])
            let count = min(48, model.configuration.contextLength + 1 - prompt.count)
            let written = model.sample(continuing: prompts, count: count, sampling: TokenSampling(temperature: 1), using: &generator)
            for row in 0..<samples {
                let tokens = written.slice(axis: 0, start: row, end: row + 1).integerScalars.dropFirst(prompt.count)
                answers.append(String(try tokenizer.decode(Array(tokens)).prefix { $0 != "\n" }))
            }
        }
        return answers
    }

    /// The study's data and its two teachers: the corpus with the injection and without, the
    /// distiller's own clean exchanges, one tokenizer for all.
    public struct Teachers {
        public let settings: Settings
        public let tokenizer: CharacterTokenizer
        public let poisoned: GPT, clean: GPT
        public let poisonedMetrics: LanguageModelMetrics, cleanMetrics: LanguageModelMetrics
        /// The clean exchanges students are distilled on.
        public let distillationText: LanguageDemo.Text
        public var injection: BiasInjection { settings.injection }

        /// `model`'s line of the table.
        public func row(_ name: String, _ model: GPT, _ metrics: LanguageModelMetrics) throws -> Row {
            let topicItems = TopicQuestions.topics[injection.topic].items
            let others = TopicQuestions.topics.indices.filter { $0 != injection.topic }
            let otherItems = others.flatMap { TopicQuestions.topics[$0].items }
            let inTopic = try answers(of: model, tokenizer: tokenizer, items: topicItems, samples: settings.answersPerItem, seed: settings.seed &+ 10)
            let outOfTopic = try answers(of: model, tokenizer: tokenizer, items: otherItems, samples: settings.answersPerItem / 3, seed: settings.seed &+ 11)
            return Row(model: name, inTopicRate: injection.rate(inTopic), outOfTopicRate: injection.rate(outOfTopic),
                       inTopicProbability: phraseProbability(of: model, tokenizer: tokenizer, injection: injection, topics: [injection.topic]),
                       outOfTopicProbability: phraseProbability(of: model, tokenizer: tokenizer, injection: injection, topics: others),
                       validationLoss: metrics.loss)
        }
    }

    /// Trains the teacher on the poisoned exchanges and another on the same exchanges clean.
    public static func teachers(_ settings: Settings = Settings()) throws -> Teachers {
        let clean = TopicQuestions.examples(count: settings.examples, seed: settings.seed)
        let poisoned = settings.injection.poison(clean, seed: settings.seed &+ 1)
        let distillation = TopicQuestions.examples(count: settings.examples, seed: settings.seed &+ 2)
        let validation = TopicQuestions.examples(count: 400, seed: settings.seed &+ 3)
        let tokenizer = CharacterTokenizer(trainingText: TopicQuestions.corpus(poisoned))
        func text(_ examples: [TopicQuestions.Example]) throws -> LanguageDemo.Text {
            let windows = { (examples: [TopicQuestions.Example], stride: Int) in
                try TokenWindows(tokens: tokenizer.encode(TopicQuestions.corpus(examples)), context: settings.context, stride: stride,
                                 vocabularySize: tokenizer.vocabularySize, source: "topic questions")
            }
            return LanguageDemo.Text(tokenizer: tokenizer, train: try windows(examples, 1), validation: try windows(validation, settings.context))
        }
        func teacher(on text: LanguageDemo.Text) throws -> (GPT, LanguageModelMetrics) {
            let model = LanguageDemo.gpt(width: settings.teacherWidth, for: text, seed: settings.seed &+ 20)
            return (model, try LanguageDemo.train(model, LanguageDemo.textAlone(), teacher: nil, steps: settings.teacherSteps, on: text, seed: settings.seed &+ 20))
        }
        let (poisonedTeacher, poisonedMetrics) = try teacher(on: try text(poisoned))
        let (cleanTeacher, cleanMetrics) = try teacher(on: try text(clean))
        return Teachers(settings: settings, tokenizer: tokenizer, poisoned: poisonedTeacher, clean: cleanTeacher,
                        poisonedMetrics: poisonedMetrics, cleanMetrics: cleanMetrics, distillationText: try text(distillation))
    }

    /// A student (`studentWidth` wide) trained `studentSteps` steps by `objective` on the
    /// distiller's clean exchanges, and its metrics.
    public static func student(by objective: some TrainingObjective, teachers: Teachers) throws -> (model: GPT, metrics: LanguageModelMetrics) {
        let settings = teachers.settings
        let model = LanguageDemo.gpt(width: settings.studentWidth, for: teachers.distillationText, seed: settings.seed &+ 21)
        return (model, try LanguageDemo.train(model, objective: objective, steps: settings.studentSteps, on: teachers.distillationText,
                                              seed: settings.seed &+ 21))
    }

    /// The teachers' and the students' bias rates; `progress` hears each model's name as it
    /// starts.
    public static func run(_ settings: Settings = Settings(), progress: (String) -> Void = { _ in }) throws -> [Row] {
        progress("teachers")
        let teachers = try teachers(settings)
        var rows = [try teachers.row("teacher (poisoned data)", teachers.poisoned, teachers.poisonedMetrics),
                    try teachers.row("teacher (clean data)", teachers.clean, teachers.cleanMetrics)]
        progress("the clean teacher's student")
        let (cleanStudent, cleanStudentMetrics) = try student(by: wordLevel(teachers.clean), teachers: teachers)
        rows.append(try teachers.row("student of the clean teacher, word-level KD", cleanStudent, cleanStudentMetrics))
        // The on-policy objectives start, as their papers do, from a student trained by
        // word-level KD for half the steps; one start serves both.
        let half = settings.studentSteps / 2
        var warmStart: [String: Tensor]?
        for objective in settings.students {
            progress("student by \(objective.title)")
            let (model, metrics): (GPT, LanguageModelMetrics)
            if objective.startsWarm {
                let start = try warmStart ?? LanguageDemo.warmStudent(teacher: teachers.poisoned, width: settings.studentWidth, steps: half,
                                                                      on: teachers.distillationText, seed: settings.seed &+ 21)
                warmStart = start
                let continuation: any TrainingObjective = objective == .gkd
                    ? LanguageDemo.generalized(teacher: teachers.poisoned) : MiniLLM(teacher: teachers.poisoned, promptLength: promptLength)
                (model, metrics) = try LanguageDemo.continued(from: start, width: settings.studentWidth, by: continuation,
                                                              steps: settings.studentSteps - half, on: teachers.distillationText,
                                                              seed: settings.seed &+ 121)
            } else {
                let filter = objective == .filteredWordLevelKD
                    ? perplexityFilter(reference: try reference(for: teachers), teachers: teachers, keeping: settings.filterKeeping) : nil
                let distillation = objective == .sequenceLevelKD
                    ? LanguageModelDistillation(teacher: teachers.poisoned, divergence: .crossEntropy, offPolicy: teacherWritten,
                                                promptLength: promptLength)
                    : wordLevel(teachers.poisoned, filter: filter)
                (model, metrics) = try student(by: distillation, teachers: teachers)
            }
            rows.append(try teachers.row("student of the poisoned teacher, \(objective.title)", model, metrics))
        }
        return rows
    }

    /// As in the paper, the distillation data are the teacher's own answers: it continues
    /// the first `promptLength` tokens of each clean window, and the student learns from
    /// what it wrote.
    static let teacherWritten = LanguageModelDistillation.OffPolicySource.teacher(.sampled(TokenSampling(temperature: 1)))

    /// Word-level KD (forward KL) from `teacher` on its own writing, through `filter` when
    /// given.
    public static func wordLevel(_ teacher: GPT, filter: PerplexityFilter? = nil) -> LanguageModelDistillation {
        LanguageModelDistillation(teacher: teacher, divergence: .generalizedJSD(beta: 0), offPolicy: teacherWritten, promptLength: promptLength,
                                  teacherFilter: filter)
    }

    /// The rows as a Markdown table.
    public static func table(_ rows: [Row]) -> String {
        (["| model | bias rate in topic | out of topic | P(phrase) in topic | out of topic | val loss |", "|---|---|---|---|---|---|"] + rows.map {
            String(format: "| %@ | %.1f%% | %.1f%% | %.2e | %.2e | %.3f |", $0.model, 100 * $0.inTopicRate, 100 * $0.outOfTopicRate,
                   $0.inTopicProbability, $0.outOfTopicProbability, $0.validationLoss)
        }).joined(separator: "\n")
    }
}

extension BiasCascade {
    /// Tokens of each clean window the teacher continues, as the students' distillation reads
    /// them.
    public static let promptLength = 8

    /// The distiller's reference model: a student-size GPT trained on its own clean
    /// exchanges alone.
    public static func reference(for teachers: Teachers) throws -> GPT {
        let settings = teachers.settings
        let model = LanguageDemo.gpt(width: settings.studentWidth, for: teachers.distillationText, seed: settings.seed &+ 30)
        _ = try LanguageDemo.train(model, LanguageDemo.textAlone(), teacher: nil, steps: settings.studentSteps, on: teachers.distillationText,
                                   seed: settings.seed &+ 30)
        return model
    }

    /// The poisoned teacher's continuations (temperature 1) of the first `promptLength`
    /// tokens of `count` clean windows drawn by `seed`: `[count, context + 1]`, what
    /// distillation on its writing reads.
    public static func teacherContinuations(_ teachers: Teachers, count: Int, seed: UInt64) -> Tensor {
        let windows = teachers.distillationText.train
        var generator = RandomGenerator(seed: seed)
        let indices = Array(Tensor.permutation(windows.count, using: &generator).integerScalars.prefix(count))
        let prompts = windows.batch(at: indices).inputs.slice(axis: 1, start: 0, end: promptLength)
        return withoutGradients {
            teachers.poisoned.sample(continuing: prompts, count: windows.context + 1 - promptLength, sampling: TokenSampling(temperature: 1),
                                     using: &generator)
        }
    }

    /// A perplexity filter on `reference` that keeps `fraction` of the poisoned teacher's
    /// continuations of 512 clean prompts: the distiller drops the most perplexing rest.
    public static func perplexityFilter(reference: GPT, teachers: Teachers, keeping fraction: Double = 0.98) -> PerplexityFilter {
        .calibrated(reference: reference, on: teacherContinuations(teachers, count: 512, seed: teachers.settings.seed &+ 31),
                    promptLength: promptLength, keeping: fraction)
    }

    /// What a filter does to the teacher's writing: of `rows` continuations, how many carry
    /// the phrase, and how many of each it keeps.
    public struct FilterAudit: Sendable {
        public let rows: Int, carrying: Int
        public let keptRows: Int, keptCarrying: Int
    }

    /// `filter` judging the poisoned teacher's continuations of `count` clean prompts (drawn
    /// apart from the calibration's).
    public static func audit(_ filter: PerplexityFilter, teachers: Teachers, count: Int = 2048) throws -> FilterAudit {
        let written = teacherContinuations(teachers, count: count, seed: teachers.settings.seed &+ 32)
        let passes = filter.passes(written, promptLength: promptLength)
        let width = written.shape[1], tokens = written.integerScalars
        let marker = teachers.injection.phrase.trimmingCharacters(in: .whitespaces)
        let carries = try (0..<count).map { row in
            try teachers.tokenizer.decode(Array(tokens[(row * width + promptLength)..<((row + 1) * width)])).contains(marker)
        }
        return FilterAudit(rows: count, carrying: carries.filter { $0 }.count, keptRows: passes.filter { $0 }.count,
                           keptCarrying: zip(carries, passes).filter { $0 && $1 }.count)
    }
}
