import Experiments
import Foundation
import XCTest

/// The built `distill` binary as a user meets it: run as a process, copied elsewhere, fed bad
/// values. A refusal is one line on standard error, exit code 1, and nothing written.
final class CommandLineTests: FolderTestCase {
    /// The `distill` built beside this test bundle (`swift build -c release --build-tests`).
    private var builtBinary: URL {
        get throws {
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("distill")
            guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                throw XCTSkip("no distill binary beside the tests at \(binary.path): build it with `swift build -c release --build-tests`")
            }
            return binary
        }
    }

    private struct Outcome {
        let status: Int32
        let output: String
        let error: String
        var errorLines: [Substring] { error.split(separator: "\n") }
    }

    /// Runs `binary` with `arguments` in `directory`, killed after `timeout` seconds.
    private func run(_ binary: URL, _ arguments: [String], in directory: URL, timeout: TimeInterval = 120) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let (output, error) = (Pipe(), Pipe())
        (process.standardOutput, process.standardError) = (output, error)
        try process.run()
        let deadline = DispatchTime.now() + timeout
        DispatchQueue.global().asyncAfter(deadline: deadline) { if process.isRunning { process.terminate() } }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                       error: String(decoding: errorData, as: UTF8.self))
    }

    func testVersion() throws {
        let outcome = try run(try builtBinary, ["--version"], in: folder)
        XCTAssertEqual(outcome.status, 0)
        XCTAssertEqual(outcome.output, "distill \(DistilleryVersion.current)\n")
    }

    /// Each subcommand's normal path, as a user runs it: a teacher trained, evaluated,
    /// attacked, cached and distilled, a robust run, the pipeline search, and the two
    /// inspection commands. Each exits 0, says first what it does, and writes its files.
    func testEverySubcommandsNormalPath() throws {
        let binary = try builtBinary
        func write(_ name: String, _ yaml: String) throws -> String {
            try Data(yaml.utf8).write(to: folder.appendingPathComponent(name))
            return folder.appendingPathComponent(name).path
        }
        let teacher = try write("teacher.yaml", """
            data: {dataset: digits, train_limit: 256}
            model: {model: mlp, hidden: [32]}
            training: {epochs: 2}
            output: teacher
            """)
        let student = try write("student.yaml", """
            data: {dataset: digits, train_limit: 256}
            teacher: {model: mlp, hidden: [32], checkpoint: teacher/model.safetensors}
            student: {model: mlp, hidden: [8]}
            losses: [{name: kd, temperature: 4}]
            training: {epochs: 1}
            output: student
            """)
        let robust = try write("robust.yaml", """
            data: {dataset: digits, train_limit: 128}
            model: {model: mlp, hidden: [16]}
            method: {name: pgd-at, epsilon: 0.1, steps: 2}
            evaluation: {attacks: [fgsm], limit: 64}
            training: {epochs: 1}
            output: robust
            """)
        let points = folder.appendingPathComponent("points.csv")
        try Data("series,x,y\nDMD2, 5 updates,32,4.5\nSiD,32,4.1\nDMD2, 5 updates,64,3.2\n".utf8).write(to: points)
        let cases: [(arguments: [String], firstLine: String, files: [String])] = [
            (["chart", points.path, "--output", "curves.svg", "--title", "FD", "--x-label", "generator steps"], "wrote curves.svg: 2 series, 3 points", ["curves.svg"]),
            (["train", teacher], "training mlp (2410 parameters) on digits, 256 samples", ["teacher/model.safetensors", "teacher/summary.md", "teacher/metrics.jsonl"]),
            (["eval", teacher], "top-1 ", []),
            (["attack", teacher, "--attacks", "fgsm", "pgd-5", "--limit", "32", "--curve", "0", "0.1"], "mlp on digits, linf ε = 0.1, 32 samples",
             ["teacher/robustness-linf-0.1.json", "teacher/accuracy-vs-epsilon-linf.svg"]),
            (["cache-teacher", student], "cached 615 samples' logits of mlp", ["student/teacher-cache.safetensors"]),
            (["distill", student], "distilling mlp (610 parameters) from mlp on digits, 256 samples", ["student/model.safetensors", "student/summary.json"]),
            (["robust-train", robust], "training mlp (1210 parameters) on digits, 128 samples", ["robust/summary.json"]),
            (["auto", student, "--candidates", "2", "--epochs", "1"], "trying 2 of ", ["student-auto/recommended.yaml", "student-auto/ranking.md"]),
            (["data", "list"], "", []),
            (["doctor"], "", []),
        ]
        for (arguments, firstLine, files) in cases {
            let outcome = try run(binary, arguments, in: folder, timeout: 300)
            XCTAssertEqual(outcome.status, 0, "\(arguments): \(outcome.error)")
            XCTAssertTrue(outcome.output.hasPrefix(firstLine), "\(arguments): \(outcome.output.prefix(200))")
            for file in files {
                XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path), "\(arguments) wrote no \(file)")
            }
        }
        let robustSummary = try String(contentsOf: folder.appendingPathComponent("robust/summary.md"), encoding: .utf8)
        XCTAssertTrue(robustSummary.contains("Robustness (linf ε = 0.1, 64 validation samples)") && robustSummary.contains("| fgsm |"), robustSummary)
    }

    /// `distill study bias-cascade CONFIG` runs the whole study (both teachers, the baseline
    /// and every student objective) at toy sizes, and prints its table: a row per model.
    func testTheBiasCascadeStudyRunsFromAConfig() throws {
        let config = folder.appendingPathComponent("bias.yaml")
        try Data("""
            examples: 200
            context: 48
            injection: {topic: weather, phrase: " Call Bob.", fraction: 0.02}
            teacher: {width: 16, steps: 20}
            student: {width: 8, steps: 10}
            answers_per_item: 3
            """.utf8).write(to: config)
        let outcome = try run(try builtBinary, ["study", "bias-cascade", config.path], in: folder)
        XCTAssertEqual(outcome.status, 0, outcome.error)
        XCTAssertTrue(outcome.output.hasPrefix("injection: ' Call Bob.' appended to 2.0% of all exchanges, every one on weather\n"), outcome.output)
        let rows = outcome.output.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| model") }.map { $0.split(separator: "|")[0] }
        XCTAssertEqual(rows.map { $0.trimmingCharacters(in: .whitespaces) }, [
            "teacher (poisoned data)", "teacher (clean data)", "student of the clean teacher, word-level KD",
            "student of the poisoned teacher, word-level KD", "student of the poisoned teacher, sequence-level KD",
            "student of the poisoned teacher, word-level KD, perplexity-filtered",
            "student of the poisoned teacher, word-level KD then GKD (β 0.5, λ 0.5)",
            "student of the poisoned teacher, word-level KD then MiniLLM",
        ])
    }

    /// An installed copy needs nothing beside it, and a config's relative paths follow the
    /// config, not the folder it is run from.
    func testACopiedBinaryRunsFromAnotherFolder() throws {
        let copy = folder.appendingPathComponent("bin/distill")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: try builtBinary, to: copy)
        let configs = folder.appendingPathComponent("configs")
        try FileManager.default.createDirectory(at: configs, withIntermediateDirectories: true)
        try Data("""
            data: {dataset: digits, train_limit: 64}
            model: {model: mlp, hidden: [8]}
            training: {epochs: 1}
            output: ../runs/tiny
            """.utf8).write(to: configs.appendingPathComponent("tiny.yaml"))
        let elsewhere = folder.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let outcome = try run(copy, ["train", configs.appendingPathComponent("tiny.yaml").path], in: elsewhere)
        XCTAssertEqual(outcome.status, 0, outcome.error)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs/tiny/summary.json").path), outcome.output)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path), [], "nothing written where it was run from")
    }

    /// `distill train` then `distill sample` on a 2-D flow: the samples, their SVG, and their
    /// distances to the validation points.
    func testSampleDrawsFromATrainedFlowAndWritesItsFiles() throws {
        let binary = try builtBinary
        let config = folder.appendingPathComponent("flow.yaml")
        try Data("""
            data: {dataset: moons}
            model: {model: denoising-mlp, hidden: [32, 32]}
            method: {name: denoising}
            training: {epochs: 2, batch_size: 512}
            output: flow
            """.utf8).write(to: config)
        XCTAssertEqual(try run(binary, ["train", config.path], in: folder).status, 0)
        let outcome = try run(binary, ["sample", config.path, "--steps", "4", "--sampler", "heun", "--count", "100"], in: folder)
        XCTAssertEqual(outcome.status, 0, outcome.error)
        let lines = outcome.output.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("100 samples, heun-4, 7 NFE, ") == true, outcome.output)
        XCTAssertTrue(lines.contains { $0.hasPrefix("against the validation points: SWD ") }, outcome.output)
        for file in ["heun-4.npy", "heun-4.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("flow/samples/\(file)").path), file)
        }
    }

    /// Each refusal: exit code 1, one line naming what was wrong, and no output folder.
    func testBadInputIsRefusedInOneLineWithExitCodeOneAndNothingWritten() throws {
        let binary = try builtBinary
        let config = folder.appendingPathComponent("run.yaml")
        try Data("data: {dataset: digits, train_limit: 64}\nmodel: {model: mlp, hidden: [8]}\noutput: out\n".utf8).write(to: config)
        let broken = folder.appendingPathComponent("broken.yaml")
        try Data("data: {dataset: digits\nmodel: [".utf8).write(to: broken)
        let dropout = folder.appendingPathComponent("dropout.yaml")
        try Data("data: {dataset: digits}\nmodel: {model: mlp, dropout: 1.5}\noutput: out\n".utf8).write(to: dropout)
        var bomb = "a0: &a0 {k: v}\n"
        for level in 1..<10 {
            bomb += "a\(level): &a\(level) {" + (0..<10).map { "? [*a\(level - 1), \($0)] : \($0)" }.joined(separator: ", ") + "}\n"
        }
        let bombFile = folder.appendingPathComponent("bomb.yaml")
        try Data(bomb.utf8).write(to: bombFile)
        let headless = folder.appendingPathComponent("headless.csv")
        try Data("a,1,2\n".utf8).write(to: headless)
        let badPoint = folder.appendingPathComponent("bad-point.csv")
        try Data("series,x,y\na,1,2\na,2,nan\n".utf8).write(to: badPoint)
        let goodPoints = folder.appendingPathComponent("good.csv")
        try Data("series,x,y\na,1,2\n".utf8).write(to: goodPoints)

        let cases: [([String], String)] = [
            (["attack", config.path, "--epsilon", "nan"], "Error: --epsilon must be a finite number ≥ 0, found nan"),
            (["attack", config.path, "--epsilon=-1"], "Error: --epsilon must be a finite number ≥ 0, found -1.0"),
            (["attack", config.path, "--limit", "0"], "Error: --limit must be at least 1, found 0"),
            (["train", broken.path], "Error: \(broken.path): not valid YAML:"),
            (["train", dropout.path], "Error: \(dropout.path):2: model.dropout: must be in [0.0, 1.0), found 1.5"),
            (["train", bombFile.path], "Error: \(bombFile.path):"),
            (["train", folder.appendingPathComponent("absent.yaml").path], "Error: \(folder.path)/absent.yaml: cannot be read"),
            (["distill", config.path], "Error: \(config.path):1: missing required key 'teacher' (a model with a checkpoint, or an ensemble)"),
            (["eval", config.path], "Error: \(folder.path)/out/model.safetensors: no trained weights (run the config first, or pass --weights)"),
            (["robust-train", config.path], "Error: \(config.path): robust-train needs a `method:` section"),
            (["cache-teacher", config.path], "Error: \(config.path): cache-teacher needs a config with a single `teacher:` model (not an ensemble)"),
            (["auto", config.path, "--candidates", "0"], "Error: --candidates must be in 1…10000, found 0"),
            (["demo", "quantum"], "Error: unknown demo family 'quantum' (valid: classic, generative, graph, language)"),
            (["study", "nonsense"], "Error: unknown study 'nonsense' (valid: rationale, bias-cascade, disback)"),
            (["study", "disback", config.path], "Error: the disback study takes no config, found '\(config.path)' (its choices are --seeds and --chart)"),
            (["study", "rationale", "--chart", "c.svg"], "Error: --chart is for the disback study"),
            (["study", "disback", "--chart", "/nonexistent/c.svg"], "Error: --chart: cannot write into '/nonexistent' (missing, or not writable)"),
            (["study", "rationale", config.path], "Error: the rationale study takes no config, found '\(config.path)' (its only choice is --seeds)"),
            (["study", "bias-cascade", "--seeds", "1"], "Error: --seeds is for the rationale and disback studies; the bias-cascade study reads its seed from the config"),
            (["study", "bias-cascade", dropout.path], "Error: \(dropout.path):1: data: unknown key (valid here: answers_per_item, context, examples, injection, perplexity_filter, seed, student, students, teacher)"),
            (["study", "rationale", "--seeds", "0,x"], "Error: --seeds must be non-negative integers separated by commas, not '0,x'"),
            (["sample", config.path, "--sampler", "rk4"], "Error: --sampler 'rk4' is not one of ddpm, ddim, euler, heun, dpm++2m"),
            (["sample", config.path, "--steps", "0"], "Error: --steps must be in 1…10000, found 0"),
            (["sample", config.path, "--eta", "0.5"], "Error: --eta must be in 0…1, and only with --sampler ddim; found 0.5"),
            (["sample", config.path, "--steps", "3", "--levels", "1.5,-0.2"], "Error: --levels takes positive numbers separated by commas, found '-0.2' in '1.5,-0.2'"),
            (["sample", config.path], "Error: \(config.path): sampling takes a generative run (method: denoising, consistency, scm, boot, progressive, reflow, dmd, dmd2, sid, vsd, disback, sign, add, ladd); this one trains mlp by another method"),
            (["chart", headless.path, "-o", "c.svg"], "Error: \(headless.path):1: expected the header `series,x,y`, found 'a,1,2'"),
            (["chart", badPoint.path, "-o", "c.svg"], "Error: \(badPoint.path):3: y must be a finite number, found 'nan'"),
            (["chart", folder.appendingPathComponent("absent.csv").path, "-o", "c.svg"], "Error: \(folder.path)/absent.csv: cannot be read"),
            (["chart", goodPoints.path, "-o", "/nonexistent/c.svg"], "Error: --output: cannot write into '/nonexistent' (missing, or not writable)"),
            // A folder that cannot be made: the file system's error in one line, not Foundation's raw form.
            (["train", config.path, "--output", "/proc/distill-cli-test"], "Error: /proc/distill-cli-test: "),
        ]
        for (arguments, expected) in cases {
            let outcome = try run(binary, arguments, in: folder, timeout: 30)
            XCTAssertEqual(outcome.status, 1, "\(arguments): \(outcome.error)")
            XCTAssertEqual(outcome.errorLines.count, 1, "\(arguments): \(outcome.error)")
            XCTAssertTrue(outcome.error.hasPrefix(expected), "\(arguments): \(outcome.error)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path), "\(arguments) wrote its output folder")
        }
    }
}
