import ArgumentParser
import Experiments
import Foundation
import Tensors

/// The `distill` command line: subcommands over YAML configs.
@main
struct Distill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distillery: turn a big teacher into a small student.",
        version: "distill \(DistilleryVersion.current)",
        subcommands: [TrainCommand.self, DistillCommand.self, EvalCommand.self, RobustTrainCommand.self, AttackCommand.self, CacheTeacherCommand.self, AutoCommand.self, DemoCommand.self, DataCommand.self, DoctorCommand.self, SampleCommand.self, StudyCommand.self, ChartCommand.self])

    /// Moves BLAS onto the best core for this processor (which may re-execute the process)
    /// before the command line is read.
    static func main() {
        BLASBackend.selectCore()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: CommandFailure.fromSystemError(error) ?? error)
        }
    }
}

extension CommandFailure {
    /// A Foundation file error (no space, no permission, a missing folder) as one line naming
    /// the file, instead of its raw `Error Domain=NSCocoaErrorDomain Code=640 …` form; nil for
    /// any other error, which describes itself already.
    static func fromSystemError(_ error: Error) -> CommandFailure? {
        guard let cocoa = error as? CocoaError else { return nil }
        let path = (cocoa.userInfo[NSFilePathErrorKey] as? String) ?? cocoa.url?.path
        let reason: String
        switch cocoa.code {
        case .fileWriteOutOfSpace: reason = "no space left on device"
        case .fileWriteNoPermission, .fileReadNoPermission: reason = "permission denied"
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
        case .fileWriteVolumeReadOnly: reason = "the volume is read-only"
        case .fileWriteFileExists: reason = "a file of that name exists already"
        default: reason = (cocoa.userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? "file error \(cocoa.code.rawValue)"
        }
        return CommandFailure(path.map { "\($0): \(reason)" } ?? reason)
    }
}

/// A failure that is not about the command line's syntax (so no usage text follows it).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The file an option names for writing, refused at once (before minutes of work) when its
/// folder is missing or not writable.
func writableFile(_ path: String, option: String) throws -> URL {
    let url = URL(fileURLWithPath: path)
    let folder = url.deletingLastPathComponent().path
    guard FileManager.default.isWritableFile(atPath: folder) else {
        throw CommandFailure("--\(option): cannot write into '\(folder)' (missing, or not writable)")
    }
    return url
}
