import Configuration

extension BiasCascade.Settings {
    /// The study's sizes from a config (`distill study bias-cascade CONFIG`), each key
    /// defaulting to the study's own size:
    ///
    ///     seed: 0
    ///     examples: 4000            # exchanges in each corpus
    ///     context: 64
    ///     injection: {topic: food, phrase: " Buy ACME.", fraction: 0.005}
    ///     teacher: {width: 128, steps: 1200}
    ///     student: {width: 48, steps: 600}
    ///     students: [word-level-kd, sequence-level-kd, word-level-kd-filtered, gkd, minillm]
    ///     perplexity_filter: {keep: 0.98}
    ///     answers_per_item: 30
    ///
    /// Every value is checked here, so that a bad one is refused with its key before any
    /// model trains.
    public init(config: some ConfigEntry) throws {
        self.init()
        seed = try config.value("seed", default: seed)
        examples = try config.value("examples", default: examples, in: 100...1_000_000)
        // The longest exchange, with the phrase, must fit a window with room to answer.
        context = try config.value("context", default: context, in: 48...1024)
        if let entry = try config.optional("injection") {
            let topics = TopicQuestions.topics.map(\.name)
            let topic = try entry.choice("topic", from: topics, default: topics[injection.topic], what: "topic")
            let phrase: String = try entry.value("phrase", default: injection.phrase)
            guard !phrase.trimmingCharacters(in: .whitespaces).isEmpty, !phrase.contains(where: \.isNewline) else {
                throw (try entry.optional("phrase") ?? entry).error("must be one line with something besides spaces, found '\(phrase)'")
            }
            // A topic holds about a quarter of the exchanges, so more than that cannot all be on it.
            let fraction = try entry.value("fraction", default: injection.fraction, in: 0.0...0.2)
            guard (fraction * Double(examples)).rounded() >= 1 else {
                throw (try entry.optional("fraction") ?? entry).error("poisons no exchange of \(examples); it must be at least \(0.5 / Double(examples))")
            }
            try entry.finish()
            injection = BiasInjection(topic: topics.firstIndex(of: topic)!, phrase: phrase, fraction: fraction)
        }
        (teacherWidth, teacherSteps) = try Self.model(config, "teacher", default: (teacherWidth, teacherSteps))
        (studentWidth, studentSteps) = try Self.model(config, "student", default: (studentWidth, studentSteps))
        // Each step reads 16 windows no other step reads; the shortest exchange is 29
        // characters, so the corpus surely holds that many.
        for (key, steps) in [("teacher", teacherSteps), ("student", studentSteps)] where 29 * examples - context < 16 * steps {
            throw (try config.optional(key) ?? config).error(
                "\(steps) steps of 16 windows need more than \(examples) examples (at least \((16 * steps + context + 28) / 29))")
        }
        if let list = try config.optional("students") {
            let names = BiasCascade.StudentObjective.allCases.map(\.rawValue)
            students = try list.elements().map { element in
                let name: String = try element.value()
                guard let objective = BiasCascade.StudentObjective(rawValue: name) else {
                    throw element.error("unknown student '\(name)' (valid: \(names.joined(separator: ", ")))")
                }
                return objective
            }
            if let repeated = students.first(where: { objective in students.filter { $0 == objective }.count > 1 }) {
                throw list.error("names '\(repeated.rawValue)' twice")
            }
        }
        if let entry = try config.optional("perplexity_filter") {
            filterKeeping = try entry.value("keep", default: filterKeeping, in: 0.5...1.0)
            try entry.finish()
        }
        // The out-of-topic items are sampled a third as often.
        answersPerItem = try config.value("answers_per_item", default: answersPerItem, in: 3...10_000)
        try config.finish()
    }

    /// A model's `width` (even: the study's GPTs have 2 heads) and training `steps`.
    private static func model(_ config: some ConfigEntry, _ key: String, default sizes: (Int, Int)) throws -> (Int, Int) {
        guard let entry = try config.optional(key) else { return sizes }
        let width = try entry.value("width", default: sizes.0, in: 2...4096)
        guard width.isMultiple(of: 2) else { throw (try entry.optional("width") ?? entry).error("must be even (2 heads), found \(width)") }
        let steps = try entry.value("steps", default: sizes.1, in: 2...1_000_000)
        try entry.finish()
        return (width, steps)
    }
}
