import ArgumentParser
import Datasets
import Foundation

/// `distill data …`: the data sets Distillery knows.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "List and inspect the known data sets.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show each known data set, where it is looked for, whether it is present, and how to install it.")

        @Option(help: "Folder holding one sub-folder per data set (default: $\(DatasetCatalog.environmentVariable), then each data set's system location).")
        var dataDir: String?

        func run() {
            for info in DatasetCatalog.all {
                let present = info.isPresent(dataDirectory: dataDir)
                print("\(info.name)  [\(present ? "present" : "missing")]")
                print("  \(info.summary)")
                print("  location: \(info.location(dataDirectory: dataDir))")
                print("  install:  \(info.installation)")
            }
        }
    }
}
