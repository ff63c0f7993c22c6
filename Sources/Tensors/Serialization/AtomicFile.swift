import Foundation

import Glibc

/// Files replaced whole or not at all: the bytes go to `.<name>.partial-<pid>` in the same
/// folder, are flushed to the disk, and the temporary file is renamed over the target. A kill
/// at any moment leaves the old file or the new one, never a mixture, and at worst an orphan
/// temporary file that `removeOrphans(in:)` recognises by its name.
public enum AtomicFile {
    /// Writes `data` to `url` atomically. A failure (no space left, no permission) throws a
    /// one-line `FileWriteError` naming the file and leaves the previous file in place.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent)\(partialMarker)\(getpid())")
        func failure(_ code: Int32) -> FileWriteError {
            unlink(temporary.path)
            return FileWriteError(path: url.path, code: code)
        }
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileWriteError(path: url.path, code: errno) }
        let written = data.withUnsafeBytes { bytes -> Int32 in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += count
            }
            return 0
        }
        guard written == 0 else {
            close(descriptor)
            throw failure(written)
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw failure(code)
        }
        close(descriptor)
        guard rename(temporary.path, url.path) == 0 else { throw failure(errno) }
    }

    /// The marker in the name of a file being written.
    static let partialMarker = ".partial-"

    /// Removes the temporary files that writes cut short by a kill left in `folder`: this
    /// writer's (`.<name>.partial-<pid>`) and Foundation's (`.dat.nosync…`, from runs before
    /// this writer). Call it only while no other process writes there (under the output
    /// folder's lock). Returns the names removed.
    @discardableResult
    public static func removeOrphans(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let orphans = names.filter { ($0.hasPrefix(".") && $0.contains(partialMarker)) || $0.hasPrefix(".dat.nosync") }.sorted()
        for name in orphans { try? FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        return orphans
    }
}

/// A file that could not be written, in one line: "no space left on device writing
/// runs/x/checkpoints/last.safetensors".
public struct FileWriteError: Error, CustomStringConvertible {
    public let path: String
    /// The system's error number (`ENOSPC`, `EACCES`, …).
    public let code: Int32

    public init(path: String, code: Int32) {
        (self.path, self.code) = (path, code)
    }

    public var description: String {
        let reason = String(cString: strerror(code))
        return "\(reason.prefix(1).lowercased())\(reason.dropFirst()) writing \(path)"
    }
}
