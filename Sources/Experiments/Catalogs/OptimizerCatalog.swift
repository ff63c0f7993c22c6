import Optim

/// Optimizers and learning-rate schedules by name, from a `training:` section:
///
/// ```yaml
/// optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, weight_decay: 5e-4, nesterov: false, max_grad_norm: 5}
/// schedule: {name: multistep, milestones: [150, 180, 210], gamma: 0.1}   # milestones in epochs
/// ```
public enum OptimizerCatalog {
    public static let optimizers = ["sgd", "adam", "adamw", "rmsprop"]
    public static let schedules = ["constant", "step", "multistep", "cosine", "onecycle"]

    /// The optimizer the section names; its learning rate is the schedule's base.
    public static func optimizer(_ section: any ConfigEntry) throws -> (optimizer: Optimizer, learningRate: Float) {
        let name = try section.choice("name", from: optimizers, what: "optimizer")
        let learningRate: Float = try section.positiveValue("learning_rate", default: name == "sgd" ? 0.1 : name == "rmsprop" ? 0.01 : 1e-3)
        let weightDecay: Float = try section.value("weight_decay", default: name == "adamw" ? 0.01 : 0, in: 0...1)
        let clipping: Float? = try section.optional("max_grad_norm").map { node in
            let norm: Float = try node.value()
            guard norm > 0 else { throw node.error("must be positive (the largest global gradient norm), found \(norm)") }
            return norm
        }
        let optimizer: Optimizer
        switch name {
        case "sgd":
            optimizer = SGD(learningRate: learningRate, momentum: try section.value("momentum", default: 0.9, in: 0..<1),
                            weightDecay: weightDecay, nesterov: try section.value("nesterov", default: false), maxGradientNorm: clipping)
        case "adam":
            optimizer = Adam(learningRate: learningRate, beta1: try section.value("beta1", default: 0.9, in: 0..<1),
                             beta2: try section.value("beta2", default: 0.999, in: 0..<1), weightDecay: weightDecay, maxGradientNorm: clipping)
        case "adamw":
            optimizer = AdamW(learningRate: learningRate, beta1: try section.value("beta1", default: 0.9, in: 0..<1),
                              beta2: try section.value("beta2", default: 0.999, in: 0..<1), weightDecay: weightDecay, maxGradientNorm: clipping)
        case "rmsprop":
            optimizer = RMSprop(learningRate: learningRate, momentum: try section.value("momentum", default: 0, in: 0..<1), weightDecay: weightDecay,
                                maxGradientNorm: clipping)
        default:
            preconditionFailure("OptimizerCatalog: optimizer '\(name)' is listed but not built")
        }
        try section.finish()
        return (optimizer, learningRate)
    }

    /// The schedule the section names (constant when absent), in optimizer steps; epoch
    /// counts in the config are converted with `stepsPerEpoch`. Epoch counts may pass
    /// `epochs` (a run resumed with more epochs reaches them) but not `Experiment.maximumEpochs`,
    /// which keeps every step count far from overflow.
    public static func schedule(_ section: ConfigNode?, base: Float, epochs: Int, stepsPerEpoch: Int) throws -> LearningRateSchedule {
        guard let section else { return .constant(base) }
        let name = try section.choice("name", from: schedules, what: "schedule")
        let total = epochs * stepsPerEpoch
        let gamma = { try section.value("gamma", default: Float(0.1), in: Float.leastNonzeroMagnitude...1) }
        var schedule: LearningRateSchedule
        switch name {
        case "constant":
            schedule = .constant(base)
        case "step":
            _ = try section.required("step_size", "epochs between decays")
            let stepSize: Int = try section.value("step_size", default: 1, in: 1...Experiment.maximumEpochs)
            schedule = .step(base: base, stepSize: stepSize * stepsPerEpoch, gamma: try gamma())
        case "multistep":
            let milestones: [Int] = try section.values("milestones", default: [])
            if let outside = milestones.first(where: { !(1...Experiment.maximumEpochs).contains($0) }) {
                throw try section.required("milestones").error("milestone \(outside) is not an epoch in 1…\(Experiment.maximumEpochs)")
            }
            schedule = .multiStep(base: base, milestones: milestones.map { $0 * stepsPerEpoch }, gamma: try gamma())
        case "cosine":
            schedule = .cosine(base: base, total: total, minimum: try section.value("minimum", default: 0, in: 0...base))
        case "onecycle":
            schedule = .oneCycle(maximum: base, total: total, pctStart: try section.value("pct_start", default: 0.3, in: 0.01...0.99))
        default:
            preconditionFailure("OptimizerCatalog: schedule '\(name)' is listed but not built")
        }
        let warmupEpochs: Int = try section.value("warmup_epochs", default: 0, in: 0...Experiment.maximumEpochs)
        // Step counts for runs of few long epochs (a language model's 2,000 iterations in one).
        let warmupSteps: Int = try section.value("warmup_steps", default: 0, in: 0...(Experiment.maximumEpochs * stepsPerEpoch))
        if warmupEpochs > 0 && warmupSteps > 0 { throw try section.required("warmup_steps").error("give warmup_epochs or warmup_steps, not both") }
        if warmupEpochs > 0 || warmupSteps > 0 {
            schedule = .linearWarmup(warmupSteps: max(warmupEpochs * stepsPerEpoch, warmupSteps),
                                     startFactor: try section.value("warmup_start_factor", default: 0.1, in: 0...1), then: schedule)
        }
        try section.finish()
        return schedule
    }
}
