import ArgumentParser

/// The `distill` command line: subcommands over YAML configs (more arrive with the
/// distillation targets).
@main
struct Distill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distillery: turn a big teacher into a small student.",
        subcommands: [DataCommand.self])
}
