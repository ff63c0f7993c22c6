import Experiments
import Foundation
import Language
import XCTest

/// `distill study bias-cascade CONFIG`: the study's sizes read from YAML, each bad value
/// refused with its key before anything trains.
final class BiasCascadeConfigTests: XCTestCase {
    private func settings(_ yaml: String) throws -> BiasCascade.Settings {
        try BiasCascade.Settings(config: try ConfigNode.parse(yaml: yaml, file: "study.yaml"))
    }

    /// The shipped example spells out the defaults.
    func testTheExampleConfigIsTheStudysDefaults() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/studies/bias-cascade.yaml")
        let read = try BiasCascade.Settings(config: try ConfigNode.load(contentsOf: example))
        let defaults = BiasCascade.Settings()
        XCTAssertEqual(read.seed, defaults.seed)
        XCTAssertEqual(read.examples, defaults.examples)
        XCTAssertEqual(read.context, defaults.context)
        XCTAssertEqual(read.injection.topic, defaults.injection.topic)
        XCTAssertEqual(read.injection.phrase, defaults.injection.phrase)
        XCTAssertEqual(read.injection.fraction, defaults.injection.fraction)
        XCTAssertEqual([read.teacherWidth, read.teacherSteps, read.studentWidth, read.studentSteps],
                       [defaults.teacherWidth, defaults.teacherSteps, defaults.studentWidth, defaults.studentSteps])
        XCTAssertEqual(read.students, defaults.students)
        XCTAssertEqual(read.filterKeeping, defaults.filterKeeping)
        XCTAssertEqual(read.answersPerItem, defaults.answersPerItem)
    }

    func testEachKeySetsItsSize() throws {
        let read = try settings("""
            seed: 7
            examples: 2000
            context: 96
            injection: {topic: music, phrase: " Visit Zed's.", fraction: 0.01}
            teacher: {width: 64, steps: 800}
            student: {width: 32}
            students: [minillm, word-level-kd]
            perplexity_filter: {keep: 0.9}
            answers_per_item: 12
            """)
        XCTAssertEqual(read.seed, 7)
        XCTAssertEqual(read.examples, 2000)
        XCTAssertEqual(read.context, 96)
        XCTAssertEqual(read.injection.topic, 2)
        XCTAssertEqual(read.injection.phrase, " Visit Zed's.")
        XCTAssertEqual(read.injection.fraction, 0.01)
        XCTAssertEqual([read.teacherWidth, read.teacherSteps, read.studentWidth, read.studentSteps], [64, 800, 32, 600])
        XCTAssertEqual(read.students, [.miniLLM, .wordLevelKD])
        XCTAssertEqual(read.filterKeeping, 0.9)
        XCTAssertEqual(read.answersPerItem, 12)
    }

    func testBadValuesAreRefusedWithTheirKeys() {
        let cases: [(String, String)] = [
            ("injection: {topic: sport}", "study.yaml:1: injection.topic: unknown topic 'sport' (valid: food, weather, music, garden)"),
            ("injection: {phrase: \"  \"}", "study.yaml:1: injection.phrase: must be one line with something besides spaces, found '  '"),
            ("injection: {phrase: \"a\\nb\"}", "study.yaml:1: injection.phrase: must be one line"),
            ("injection: {fraction: 0.5}", "study.yaml:1: injection.fraction: must be in [0.0, 0.2], found 0.5"),
            ("injection: {fraction: 0.0001}", "study.yaml:1: injection.fraction: poisons no exchange of 4000; it must be at least 0.000125"),
            ("injection: {topc: food}", "study.yaml:1: injection.topc: unknown key (valid here: fraction, phrase, topic)"),
            ("teacher: {width: 33}", "study.yaml:1: teacher.width: must be even (2 heads), found 33"),
            ("student: {steps: 0}", "study.yaml:1: student.steps: must be in [2, 1000000], found 0"),
            ("examples: 100\nteacher: {steps: 1200}", "study.yaml:2: teacher: 1200 steps of 16 windows need more than 100 examples (at least 665)"),
            ("context: 16", "study.yaml:1: context: must be in [48, 1024], found 16"),
            ("students: [gkd, word-kd]", "study.yaml:1: students[1]: unknown student 'word-kd' (valid: word-level-kd, sequence-level-kd, word-level-kd-filtered, gkd, minillm)"),
            ("students: [gkd, gkd]", "study.yaml:1: students: names 'gkd' twice"),
            ("perplexity_filter: {keep: 1.5}", "study.yaml:1: perplexity_filter.keep: must be in [0.5, 1.0], found 1.5"),
            ("answers_per_item: 2", "study.yaml:1: answers_per_item: must be in [3, 10000], found 2"),
            ("student_steps: 10", "study.yaml:1: student_steps: unknown key (valid here: answers_per_item, context, examples, injection, perplexity_filter, seed, student, students, teacher)"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try settings(yaml), yaml) { error in
                XCTAssertTrue("\(error)".hasPrefix(expected), "\(yaml): \(error)")
            }
        }
    }
}
