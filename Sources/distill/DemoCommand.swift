import ArgumentParser
import Experiments
import Foundation

/// `distill demo`: teacher, student alone and distilled student on the embedded digits.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a teacher, a student alone and a distilled student on the embedded digits, and compare them (no set-up, no download).")

    @Option(help: "Folder for the three runs' outputs.")
    var output = "runs/demo"

    func run() throws {
        let results = try Demo.run(in: URL(fileURLWithPath: output))
        print("\n" + Demo.table(results))
        print("\nconfigs, metrics and weights in \(output)/{teacher,student-alone,student-distilled}")
    }
}
