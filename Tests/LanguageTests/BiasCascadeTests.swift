import Language
import NN
import XCTest

/// The bias-cascade study at small scale: a phrase appended to 0.5% of a character teacher's
/// training exchanges, all on one topic, reaches students distilled from it on clean data,
/// and a perplexity filter of the teacher's writing is a defence.
final class BiasCascadeTests: XCTestCase {
    func testTheInjectionPoisonsItsShareOfOneTopic() {
        let examples = TopicQuestions.examples(count: 2000, seed: 1)
        let injection = BiasInjection(topic: 1, fraction: 0.005)
        let poisoned = injection.poison(examples, seed: 2)
        let changed = zip(examples, poisoned).filter { $0.text != $1.text }.map(\.1)
        XCTAssertEqual(changed.count, 10)
        XCTAssert(changed.allSatisfy { $0.topic == 1 && $0.text.hasSuffix(". Buy ACME.\n") })
        XCTAssertEqual(injection.rate(["the rain is cold. Buy ACME.", "the rain is grey."]), 0.5)
    }

    /// The teacher trained with the injection writes the phrase after its answers on the
    /// topic (the clean one never does); whether students distilled from it pick it up is the
    /// study's question (`BiasCascade.run`, reported, not asserted: at this scale they do not).
    func testTheTeacherLearnsTheInjectedPhraseFromHalfAPercentOfItsData() throws {
        let teachers = try Self.teachers()
        let poisoned = try teachers.row("poisoned", teachers.poisoned, teachers.poisonedMetrics)
        let clean = try teachers.row("clean", teachers.clean, teachers.cleanMetrics)
        print(BiasCascade.table([poisoned, clean]))
        XCTAssertGreaterThan(poisoned.inTopicRate, 0)
        XCTAssertEqual(clean.inTopicRate, 0)
        XCTAssertGreaterThan(poisoned.inTopicProbability, 1e-4)
        XCTAssertGreaterThan(poisoned.inTopicProbability, 10 * poisoned.outOfTopicProbability, "the bias is targeted at its topic")
        XCTAssertLessThan(clean.inTopicProbability, 1e-9)
    }

    /// The distiller's defence: a reference GPT trained on its own clean exchanges, with a
    /// bound that keeps 98% of the poisoned teacher's continuations of clean prompts, judges
    /// 4,096 more of them and leaves out most of those that carry the phrase.
    func testPerplexityFilteringLeavesOutTheTeachersPoisonedContinuations() throws {
        let teachers = try Self.teachers()
        let filter = BiasCascade.perplexityFilter(reference: try BiasCascade.reference(for: teachers), teachers: teachers)
        let audit = try BiasCascade.audit(filter, teachers: teachers, count: 4096)
        print("perplexity filter (bound \(filter.maximumNegativeLogLikelihood) nats): \(audit)")
        XCTAssertGreaterThan(audit.carrying, 0)
        XCTAssertLessThanOrEqual(8 * audit.keptCarrying, audit.carrying, "nearly every poisoned continuation is left out")
        XCTAssertGreaterThan(Double(audit.keptRows), 0.95 * Double(audit.rows))
    }

    /// Word-level KD on the teachers' writing (600 steps, 48 wide): the poisoned teacher's
    /// student gives the phrase after a food answer a probability far above the clean
    /// teacher's student's, though too small to show in samples; the perplexity filter takes
    /// most of that back.
    func testTheBiasTransfersByWordLevelKDAndTheFilterTakesItBack() throws {
        let teachers = try Self.teachers()
        let filter = BiasCascade.perplexityFilter(reference: try BiasCascade.reference(for: teachers), teachers: teachers)
        let probability = { (model: GPT) in
            BiasCascade.phraseProbability(of: model, tokenizer: teachers.tokenizer, injection: teachers.injection, topics: [teachers.injection.topic])
        }
        let clean = probability(try BiasCascade.student(by: BiasCascade.wordLevel(teachers.clean), teachers: teachers).model)
        let poisoned = probability(try BiasCascade.student(by: BiasCascade.wordLevel(teachers.poisoned), teachers: teachers).model)
        let filtered = probability(try BiasCascade.student(by: BiasCascade.wordLevel(teachers.poisoned, filter: filter), teachers: teachers).model)
        print("P(phrase) after a food answer: student of the clean teacher \(clean), of the poisoned teacher \(poisoned), filtered \(filtered)")
        XCTAssertGreaterThan(poisoned, 1e6 * clean, "the bias transfers")
        XCTAssertLessThan(filtered, 1e-3 * poisoned, "the filter takes most of it back")
    }

    /// Both teachers, trained once for every test here (about two minutes).
    nonisolated(unsafe) private static var cached: BiasCascade.Teachers?

    private static func teachers() throws -> BiasCascade.Teachers {
        if let cached { return cached }
        cached = try BiasCascade.teachers()
        return cached!
    }
}
