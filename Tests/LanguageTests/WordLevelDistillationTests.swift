import Distillation
import Language
import NN
import XCTest

/// Word-level KD on Tiny Shakespeare's characters (`LanguageDemo`'s recipes): at an equal
/// step budget, a small GPT learning from a larger trained one reaches a lower validation
/// loss than the same GPT on the text alone.
final class WordLevelDistillationTests: XCTestCase {
    /// The teacher: 128 wide, 1,200 steps; the students: 48 wide, 400 steps, two seeds.
    func testWordLevelKDBeatsTheStudentAloneAtEqualSteps() throws {
        let text = try LanguageDemo.characterText()
        let teacherModel = LanguageDemo.gpt(width: 128, for: text, seed: 20)
        let teacherMetrics = try LanguageDemo.train(teacherModel, LanguageDemo.textAlone(), teacher: nil, steps: 1200, on: text, seed: 20)
        let teacher = ModelTeacher(teacherModel)
        var (alone, distilled) = ([Double](), [Double]())
        for seed: UInt64 in [21, 22] {
            alone.append(try LanguageDemo.train(LanguageDemo.gpt(width: 48, for: text, seed: seed), LanguageDemo.textAlone(), teacher: nil,
                                                steps: 400, on: text, seed: seed).loss)
            distilled.append(try LanguageDemo.train(LanguageDemo.gpt(width: 48, for: text, seed: seed), LanguageDemo.wordLevel(), teacher: teacher,
                                                    steps: 400, on: text, seed: seed).loss)
        }
        print("validation loss: teacher \(teacherMetrics.loss); students alone \(alone), by word-level KD \(distilled)")
        XCTAssertLessThan(distilled.reduce(0, +), alone.reduce(0, +))
        XCTAssertLessThan(teacherMetrics.loss, alone.min()!, "the teacher knows more than the students reach alone")
    }
}
