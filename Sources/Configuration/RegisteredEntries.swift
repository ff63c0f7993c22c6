import Foundation

/// Entries a program adds to a registry at run time (its own loss, method or data set), after
/// the targets' built-in lists. Kept behind a lock: catalogs are read from any thread.
public final class RegisteredEntries<Entry>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Entry] = []

    public init() {}

    /// The entries, in the order they were added.
    public var all: [Entry] { lock.withLock { entries } }

    public func append(_ entry: Entry) { lock.withLock { entries.append(entry) } }
}
