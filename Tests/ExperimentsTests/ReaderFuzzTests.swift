import Datasets
import Experiments
import Foundation
import Tensors
import XCTest

/// Seeded mutation fuzzing of every reader a user's file reaches: safetensors, IDX (raw and
/// gzip), CIFAR, NPY and NPZ, Planetoid graphs, tokenizer files, and YAML configs. Each mutated input must be read or refused
/// with an error naming its file; a crash ends the test process and a hang shows in the
/// time bound. The mutations favour what breaks readers: sizes at the edges of their integer
/// types, truncation, and numbers and structure changed inside text headers.
final class ReaderFuzzTests: FolderTestCase {
    /// Numbers at the edges of the integer types sizes are read into.
    private static let edgeIntegers: [UInt64] = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, 1 << 61,
                                                  0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, .max]
    private static let edgeNumbers = ["-1", "0", "-0", "1.5", "4294967296", "2305843009213693952", "9223372036854775807",
                                      "-9223372036854775808", "18446744073709551616", "1e308", "1e30", "-1e30", ".nan", "nan", "inf", "1e-45"]
    private static let structure = ["{", "}", "[", "]", ",", ":", "\"", "'", "&a ", "*a", "<<: ", "\n  ", "\n- ", "? ", "!!binary ", "%", "\u{0}", "\u{FEFF}"]

    /// Mutations of bytes, or of the text inside them.
    private struct Mutator {
        var generator: RandomGenerator

        mutating func pick<T>(_ values: [T]) -> T { values[generator.nextInt(below: values.count)] }

        /// One to `maximum` mutations of `data`.
        mutating func mutate(_ data: Data, isText: Bool, maximum: Int = 4) -> Data {
            var bytes = [UInt8](data)
            for _ in 0..<(1 + generator.nextInt(below: maximum)) {
                mutateOnce(&bytes, isText: isText)
            }
            return Data(bytes)
        }

        private mutating func mutateOnce(_ bytes: inout [UInt8], isText: Bool) {
            let position = bytes.isEmpty ? 0 : generator.nextInt(below: bytes.count)
            switch generator.nextInt(below: isText ? 9 : 7) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= 1 << UInt8(generator.nextInt(below: 8))
            case 1 where !bytes.isEmpty:
                bytes[position] = pick([0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x0A])
            case 2:
                // An integer at the edge of its type, in either byte order and width.
                let value = pick(ReaderFuzzTests.edgeIntegers)
                let width = pick([2, 4, 8])
                var encoded = (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
                if generator.nextInt(below: 2) == 0 { encoded.reverse() }
                for (offset, byte) in encoded.enumerated() where position + offset < bytes.count { bytes[position + offset] = byte }
            case 3:
                bytes.removeSubrange(min(position, bytes.count)...)
            case 4:
                let end = min(bytes.count, position + 1 + generator.nextInt(below: 16))
                if position < end { bytes.removeSubrange(position..<end) }
            case 5:
                bytes.insert(contentsOf: (0..<(1 + generator.nextInt(below: 8))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: position)
            case 6 where !bytes.isEmpty:
                let end = min(bytes.count, position + 1 + generator.nextInt(below: 64))
                bytes.insert(contentsOf: bytes[position..<end], at: end)
            case 7:
                replaceNumber(&bytes)
            case 8:
                bytes.insert(contentsOf: Array(pick(ReaderFuzzTests.structure).utf8), at: position)
            default:
                break
            }
        }

        /// Replaces a run of digits with a number at the edge of what a reader expects.
        private mutating func replaceNumber(_ bytes: inout [UInt8]) {
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) && ($0 == 0 || !(0x30...0x39).contains(bytes[$0 - 1])) }
            guard !digits.isEmpty else { return }
            let start = pick(digits)
            var end = start
            while end < bytes.count && (0x30...0x39).contains(bytes[end]) { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(pick(ReaderFuzzTests.edgeNumbers).utf8))
        }
    }

    /// Reads `iterations` mutations of the seeds (up to `maximumMutations` each); each must be
    /// read or refused by an error whose description starts with `name`.
    private func fuzz(_ name: String, seeds: [Data], iterations: Int, isText: Bool = false, maximumMutations: Int = 4, seed: UInt64,
                      file: StaticString = #filePath, line: UInt = #line, read: (Data) throws -> Void) {
        fuzz(name, iterations: iterations, seed: seed, file: file, line: line, read: read) { mutator in
            mutator.mutate(mutator.pick(seeds), isText: isText, maximum: maximumMutations)
        }
    }

    /// Reads `iterations` inputs that `makeInput` mutates; each must be read or refused by an
    /// error whose description starts with `name`, and a fair share must be refused (the
    /// mutations reach the checks) and read (they reach past them).
    private func fuzz(_ name: String, iterations: Int, seed: UInt64, file: StaticString = #filePath, line: UInt = #line,
                      read: (Data) throws -> Void, makeInput: (inout Mutator) -> Data) {
        var mutator = Mutator(generator: RandomGenerator(seed: seed &+ Self.seedOffset))
        var refused = 0
        let iterations = iterations * Self.rounds
        for iteration in 0..<iterations {
            let input = makeInput(&mutator)
            if Self.rounds > 1 && iteration % 1000 == 0 { print("FUZZ \(name): \(iteration) of \(iterations)") }
            do {
                try read(input)
            } catch {
                refused += 1
                let message = "\(error)"
                if !message.hasPrefix(name) || message.contains("\n") {
                    XCTFail("input \(iteration) (seed \(seed &+ Self.seedOffset)) was refused by an error not naming \(name) on one line: \(message)", file: file, line: line)
                    return
                }
            }
        }
        XCTAssertGreaterThan(refused, iterations / 5, "the mutations should reach the readers' checks", file: file, line: line)
        XCTAssertGreaterThan(iterations - refused, iterations / 50, "the mutations should reach past the readers' checks", file: file, line: line)
    }

    /// For deeper runs by hand: `DISTILLERY_FUZZ_ROUNDS=20 DISTILLERY_FUZZ_SEED=7 swift test
    /// -c release --filter ReaderFuzzTests` reads 20 times the inputs, from other seeds.
    private static let rounds = max(1, Int(ProcessInfo.processInfo.environment["DISTILLERY_FUZZ_ROUNDS"] ?? "") ?? 1)
    private static let seedOffset = UInt64(ProcessInfo.processInfo.environment["DISTILLERY_FUZZ_SEED"] ?? "") ?? 0

    private var datasetFixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DatasetsTests/Fixtures")
    }

    func testSafetensors() throws {
        let seeds = [
            SafeTensors.encode(["weight": Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]), "bias": Tensor([0.5, -1])], metadata: ["model": "mlp"]),
            SafeTensors.encode(["scalar": Tensor([3], shape: []), "empty": Tensor(shape: [0, 4], repeating: 0)]),
        ]
        // A third of the inputs are mutated whole; the rest have their JSON header mutated as
        // text, or their payload as bytes, under a length that matches, so they reach the parser.
        fuzz("model.safetensors", iterations: 4000, seed: 1, read: { _ = try SafeTensors.decode($0, path: "model.safetensors") }) { mutator in
            let file = mutator.pick(seeds)
            let headerLength = Int(file.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            var header = file.dropFirst(8).prefix(headerLength), payload = file.dropFirst(8 + headerLength)
            switch mutator.generator.nextInt(below: 3) {
            case 0: return mutator.mutate(file, isText: false)
            case 1: header = mutator.mutate(Data(header), isText: true, maximum: 2)[...]
            default: payload = mutator.mutate(Data(payload), isText: false, maximum: 2)[...]
            }
            var rebuilt = Data()
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { rebuilt.append(contentsOf: $0) }
            return rebuilt + header + payload
        }
    }

    func testIDXAndCIFAR() throws {
        let idx = try Data(contentsOf: datasetFixtures.appendingPathComponent("tiny-float.idx"))
        let bytes = Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + (0..<8).map { UInt8($0 * 30) })
        fuzz("images.idx", seeds: [idx, bytes], iterations: 4000, maximumMutations: 2, seed: 2) { _ = try IDXReader.decode($0, source: "images.idx") }

        var record = Data(count: 3073 * 2)
        record[0] = 3
        record[3073] = 9
        fuzz("data_batch_1.bin", seeds: [record], iterations: 2000, maximumMutations: 2, seed: 3) { data in
            let (images, labels) = try CIFARReader.decode(data, variant: .cifar10, source: "data_batch_1.bin")
            try DataChecks.requireFinite(images, source: "data_batch_1.bin")
            try DataChecks.requireClassLabels(labels, classCount: 10, source: "data_batch_1.bin")
        }

        // Through files, so the gzip path (decompression of a damaged stream) is covered.
        let gz = try Data(contentsOf: datasetFixtures.appendingPathComponent("tiny-images-idx3-ubyte.gz"))
        let url = folder.appendingPathComponent("train-images-idx3-ubyte.gz")
        fuzz(url.path, seeds: [gz], iterations: 1000, maximumMutations: 2, seed: 4) { data in
            try data.write(to: url)
            _ = try IDXReader.read(contentsOf: url)
        }
    }

    func testNPYAndNPZ() throws {
        let names = ["float32.npy", "int64_fortran.npy", "float16_bigendian.npy", "uint8_3d.npy", "bool.npy"]
        let seeds = try names.map { try Data(contentsOf: datasetFixtures.appendingPathComponent($0)) }
        // Rewrites a version-1 header length to the text up to the first newline.
        let fixLength = { (data: Data) -> Data in
            guard data.count > 10, data[6] == 1, let newline = data.dropFirst(10).firstIndex(of: 0x0A) else { return data }
            var fixed = data
            let length = newline + 1 - 10
            (fixed[8], fixed[9]) = (UInt8(truncatingIfNeeded: length), UInt8(truncatingIfNeeded: length >> 8))
            return fixed
        }
        fuzz("array.npy", iterations: 4000, seed: 5, read: { _ = try NPYReader.decode($0, source: "array.npy") }) { mutator in
            let input = mutator.mutate(mutator.pick(seeds), isText: true, maximum: 2)
            return mutator.generator.nextInt(below: 2) == 0 ? fixLength(input) : input
        }

        let archives = try ["stored.npz", "compressed.npz"].map { try Data(contentsOf: datasetFixtures.appendingPathComponent($0)) }
        let url = folder.appendingPathComponent("arrays.npz")
        fuzz(url.path, seeds: archives, iterations: 1000, maximumMutations: 2, seed: 6) { data in
            try data.write(to: url)
            _ = try NPYReader.readArchive(contentsOf: url)
        }

        let graph = try Data(contentsOf: datasetFixtures.appendingPathComponent("tiny-planetoid.npz"))
        fuzz("graph.npz", seeds: [graph], iterations: 2000, maximumMutations: 2, seed: 7) { data in
            _ = try NodeClassificationGraph.readPlanetoid(data, name: "graph", classCount: 2, source: "graph.npz")
        }
    }

    /// Tokenizer files (Hugging Face's `tokenizer.json` and Distillery's character files):
    /// each damaged file is refused in one line, or loads as a tokenizer that still
    /// round-trips text byte for byte.
    func testTokenizerFiles() throws {
        let bpe = try Data(contentsOf: datasetFixtures.appendingPathComponent("hf-bpe-tokenizer.json"))
        let characters = Data(#"{"type": "character", "characters": "\n !',-.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}"#.utf8)
        let text = "First Citizen:\nhe\u{301}llo, \u{D55C} 🎭 world's end 42"
        fuzz("tokenizer.json", seeds: [bpe, characters], iterations: 1500, isText: true, maximumMutations: 3, seed: 9) { data in
            let tokenizer = try TokenizerFile.load(data, source: "tokenizer.json")
            let tokens = tokenizer.encode(text)
            XCTAssertEqual(Array(try tokenizer.decode(tokens).utf8), Array(text.utf8))
            XCTAssertTrue(tokens.allSatisfy { (0..<tokenizer.vocabularySize).contains($0) })
        }
    }

    func testYAMLConfigs() throws {
        let seeds = [
            distillConfig(),
            """
            data: {dataset: digits, train_limit: 64, augmentation: [{name: random_crop, padding: 1}, {name: gaussian_noise, std: 0.1}]}
            model: &m {model: mlp, hidden: [16, 8], dropout: 0.1}
            losses: [{name: ce, weight: 1, label_smoothing: 0.1}]
            training: {epochs: 2, batch_size: 32, optimizer: {name: adam, learning_rate: 0.001}, schedule: {name: cosine}}
            """,
            """
            data: {dataset: digits, train_limit: 64, validation: holdout, holdout_fraction: 0.2, labeled_fraction: 0.5}
            model: {model: vit, patch: 4, dimension: 8, depth: 1, heads: 2, mlp_ratio: 2}
            method: {name: trades, epsilon: 0.1, steps: 2, beta: 6}
            training: {epochs: 3, optimizer: {name: sgd, learning_rate: 0.05, momentum: 0.9, weight_decay: 5e-4},
                       schedule: {name: multistep, milestones: [1, 2], gamma: 0.1, warmup_epochs: 1}}
            """,
        ].map { Data($0.utf8) }
        fuzz("run.yaml", seeds: seeds, iterations: 4000, isText: true, maximumMutations: 2, seed: 7) { data in
            _ = try ConfigNode.parse(yaml: String(decoding: data, as: UTF8.self), file: "run.yaml")
        }
        // Whole configs validated and built (data, models, losses), not trained.
        let output = folder.appendingPathComponent("unused")
        fuzz("run.yaml", seeds: seeds, iterations: 4000, isText: true, maximumMutations: 1, seed: 8) { data in
            let config = try ConfigNode.parse(yaml: String(decoding: data, as: UTF8.self), file: "run.yaml")
            _ = try Experiment(config: config, outputDirectory: output)
        }
    }
}
