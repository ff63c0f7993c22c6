import Language
import NN

/// The Tiny Shakespeare character text and `LanguageDemo`'s teacher (128 wide, 1,200 steps),
/// trained once for every test that distills from it.
enum CharacterTeacher {
    struct Trained {
        let text: LanguageDemo.Text
        let model: GPT
        let metrics: LanguageModelMetrics
    }

    nonisolated(unsafe) private static var cached: Trained?

    static func trained() throws -> Trained {
        if let cached { return cached }
        let text = try LanguageDemo.characterText()
        let model = LanguageDemo.gpt(width: 128, for: text, seed: 20)
        let metrics = try LanguageDemo.train(model, LanguageDemo.textAlone(), teacher: nil, steps: 1200, on: text, seed: 20)
        model.eval()
        cached = Trained(text: text, model: model, metrics: metrics)
        return cached!
    }
}
