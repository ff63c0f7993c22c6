import Foundation
import Glibc
import Tensors

/// An exclusive lock on a run's output folder, so that two runs never interleave their
/// checkpoints and metrics there. It is an advisory `flock` on `<folder>/.lock`, which holds
/// the owner's PID; the system releases it when the owner exits, however it exits.
final class OutputLock {
    private let descriptor: Int32

    /// Takes the lock, or throws naming the folder and the PID that holds it.
    init(folder: URL) throws {
        let path = folder.appendingPathComponent(".lock").path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileWriteError(path: path, code: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            throw OutputInUseError(folder: folder.path, holder: holder.flatMap { Int32($0) })
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pwrite(descriptor, pid, pid.count, 0)
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Another run holds the output folder.
public struct OutputInUseError: Error, CustomStringConvertible {
    public let folder: String
    /// The PID of the run that holds it, where the lock file says.
    public let holder: Int32?

    public var description: String {
        "\(folder) is in use by another run\(holder.map { " (PID \($0))" } ?? ""); wait for it to finish, or give this run another output"
    }
}
