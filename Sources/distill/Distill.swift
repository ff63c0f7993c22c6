import ArgumentParser

/// The `distill` command line: subcommands over YAML configs.
@main
struct Distill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distillery: turn a big teacher into a small student.",
        subcommands: [TrainCommand.self, DistillCommand.self, EvalCommand.self, RobustTrainCommand.self, AttackCommand.self, DemoCommand.self, DataCommand.self])
}
