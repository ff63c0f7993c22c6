import Configuration
import Distillation
import NN
import Training

/// What this target offers to configs by name (see `DistillationRegistry`).
public enum LanguageRegistry {
    /// The training methods.
    public static let methods: [any ConfigurableMethod.Type] = [LanguageModelDistillation.self, MiniLLM.self]

    /// The teacher's GPT, which both methods decode from, once the student is checked to be a GPT too.
    static func teacherModel(_ entry: any ConfigEntry, context: MethodContext, method: String) throws -> GPT {
        guard let teacher = context.teacherModel as? GPT else {
            throw entry.error("\(method) decodes with its teacher: the teacher must be a gpt model with a checkpoint")
        }
        guard context.student == nil || context.student is GPT else {
            throw entry.error("\(method) samples from its student: the student must be a gpt model")
        }
        return teacher
    }

    /// The prompt's length, which must leave a continuation in the student's windows.
    static func promptLength(_ entry: any ConfigEntry, default defaultValue: Int, context: MethodContext) throws -> Int {
        let window = (context.student as? GPT)?.configuration.contextLength ?? 65_537
        return try entry.value("prompt_length", default: min(defaultValue, window - 1), in: 1...max(1, window - 1))
    }
}

extension LanguageModelDistillation: ConfigurableMethod {
    public static var configName: String { "lm-kd" }
    public static var configKeys: String {
        "divergence (jsd or ce; default jsd), beta (default 0: word-level KD's forward KL), temperature (default 1), on_policy_fraction (GKD's λ, default 0), continuations (data or teacher, default data), teacher_decoding (greedy, sampled or beam, default greedy), beams (default 4), prompt_length (default 1)"
    }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> LanguageModelDistillation {
        let teacher = try LanguageRegistry.teacherModel(entry, context: context, method: "lm-kd")
        let divergence: Divergence
        if try entry.choice("divergence", from: ["jsd", "ce"], default: "jsd") == "jsd" {
            divergence = .generalizedJSD(beta: try entry.value("beta", default: 0, in: 0...1),
                                         temperature: try entry.value("temperature", default: 1, in: 0.01...100))
        } else {
            for key in ["beta", "temperature"] {
                if let stray = try entry.optional(key) { throw stray.error("\(key) is for divergence: jsd (ce scores the continuation's tokens)") }
            }
            divergence = .crossEntropy
        }
        let offPolicy: OffPolicySource
        if try entry.choice("continuations", from: ["data", "teacher"], default: "data") == "teacher" {
            let decoding = try entry.choice("teacher_decoding", from: ["greedy", "sampled", "beam"], default: "greedy")
            if decoding != "beam", let stray = try entry.optional("beams") { throw stray.error("beams is for teacher_decoding: beam") }
            switch decoding {
            case "greedy": offPolicy = .teacher(.sampled(.greedy))
            case "sampled": offPolicy = .teacher(.sampled(TokenSampling(temperature: 1)))
            default: offPolicy = .teacher(.beamSearch(beams: try entry.value("beams", default: 4, in: 1...64)))
            }
        } else {
            for key in ["teacher_decoding", "beams"] {
                if let stray = try entry.optional(key) { throw stray.error("\(key) is for continuations: teacher") }
            }
            offPolicy = .data
        }
        return LanguageModelDistillation(teacher: teacher, divergence: divergence,
                                         onPolicyFraction: try entry.value("on_policy_fraction", default: 0, in: 0...1), offPolicy: offPolicy,
                                         promptLength: try LanguageRegistry.promptLength(entry, default: 1, context: context))
    }
}

extension MiniLLM: ConfigurableMethod {
    public static var configName: String { "minillm" }
    public static var configKeys: String { "teacher_mixture (α, default 0.2), prompt_length (default 8), whiten_returns (default false)" }
    public static var needs: Set<MethodNeed> { [.teacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> MiniLLM {
        MiniLLM(teacher: try LanguageRegistry.teacherModel(entry, context: context, method: "minillm"),
                teacherMixture: try entry.value("teacher_mixture", default: 0.2, in: 0..<1),
                promptLength: try LanguageRegistry.promptLength(entry, default: 8, context: context),
                whitensReturns: try entry.value("whiten_returns", default: false))
    }
}
