import ArgumentParser
import Experiments
import Tensors

/// The `distill` command line: subcommands over YAML configs.
@main
struct Distill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distillery: turn a big teacher into a small student.",
        version: "distill \(DistilleryVersion.current)",
        subcommands: [TrainCommand.self, DistillCommand.self, EvalCommand.self, RobustTrainCommand.self, AttackCommand.self, CacheTeacherCommand.self, AutoCommand.self, DemoCommand.self, DataCommand.self, DoctorCommand.self])

    /// Moves BLAS onto the best core for this processor (which may re-execute the process)
    /// before the command line is read.
    static func main() {
        BLASBackend.selectCore()
        main(nil)
    }
}

/// A failure that is not about the command line's syntax (so no usage text follows it).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
