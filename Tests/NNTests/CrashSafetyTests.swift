import Foundation
import NN
import Tensors
import XCTest

/// A process killed while saving leaves the previous checkpoint readable, and a reader
/// never sees a half-written checkpoint while saves are under way.
final class CrashSafetyTests: XCTestCase {
    private static let childVariable = "DISTILLERY_SAVE_CHILD"

    /// In the child: save large checkpoints to the given path forever (until killed).
    private func runChildIfAsked() -> Bool {
        guard let path = ProcessInfo.processInfo.environment[Self.childVariable] else { return false }
        var generator = RandomGenerator(seed: 1)
        let model = MLP(widths: [1024, 2048, 1024], using: &generator)  // ~16 MB of weights
        var version: Float = 0
        while true {
            version += 1
            model.update(parameters: ["2.bias": Tensor(shape: [1024], repeating: version)])
            try? model.save(to: URL(fileURLWithPath: path), metadata: ["version": "\(Int(version))"])
        }
    }

    func testKillingTheProcessDuringASaveLeavesTheCheckpointReadable() throws {
        if runChildIfAsked() { return }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.safetensors").path
        for attempt in 0..<3 {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            child.arguments = ["NNTests.CrashSafetyTests/testKillingTheProcessDuringASaveLeavesTheCheckpointReadable"]
            child.environment = ProcessInfo.processInfo.environment.merging([Self.childVariable: path]) { $1 }
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            // Wait for a first complete save; then read the file over and over while the child
            // keeps saving (a non-atomic save would be seen truncated), and kill the child at
            // an arbitrary moment of a later save.
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: path) && Date() < deadline { usleep(10_000) }
            let watchUntil = Date().addingTimeInterval(0.6 + 0.2 * Double(attempt))
            var reads = 0
            while Date() < watchUntil {
                try assertWholeCheckpoint(at: path)
                reads += 1
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            try assertWholeCheckpoint(at: path)
            XCTAssertGreaterThan(reads, 5)
        }
    }

    private func assertWholeCheckpoint(at path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (tensors, metadata) = try SafeTensors.read(contentsOf: URL(fileURLWithPath: path))
        let version = Float(metadata["version"] ?? "") ?? -1
        XCTAssertEqual(tensors["2.bias"]?.scalars, [Float](repeating: version, count: 1024), "the checkpoint is whole and consistent", file: file, line: line)
    }
}
