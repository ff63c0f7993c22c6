import Foundation
import NN
import Optim
import Tensors

/// Everything needed to resume training exactly: the model's state (with the generators
/// of its dropout layers), the optimizer's state, the epoch and step reached, and the
/// training loop's random generator. Stored as one
/// safetensors file (`model.*` and `optimizer.*` tensors, the rest as metadata), written
/// to a temporary file and renamed, so a crash during a save leaves the previous
/// checkpoint intact.
public struct TrainingCheckpoint {
    public var epoch: Int
    public var step: Int
    public var generator: RandomGenerator
    /// Free-form notes (the config's fingerprint, the best metric so far).
    public var notes: [String: String]

    public init(epoch: Int, step: Int, generator: RandomGenerator, notes: [String: String] = [:]) {
        (self.epoch, self.step, self.generator, self.notes) = (epoch, step, generator, notes)
    }

    /// Saves this checkpoint with the model's and optimizers' current state: `optimizer`
    /// (the model's) and, by name, the optimizers of modules that have their own.
    public func save(model: Module, optimizer: Optimizer, moduleOptimizers: [String: Optimizer] = [:], to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (key, value) in model.stateDict() { tensors["model.\(key)"] = value }
        for (key, value) in optimizer.stateDict() { tensors["optimizer.\(key)"] = value }
        for (name, moduleOptimizer) in moduleOptimizers {
            for (key, value) in moduleOptimizer.stateDict() { tensors["optimizers.\(name).\(key)"] = value }
        }
        var metadata = notes.reduce(into: [String: String]()) { $0["note.\($1.key)"] = $1.value }
        metadata["epoch"] = String(epoch)
        metadata["step"] = String(step)
        metadata["rng"] = generator.state.map(String.init).joined(separator: ",")
        metadata["format"] = "distillery-training-checkpoint-1"
        for (path, state) in model.randomStates() { metadata["rng.module.\(path)"] = state.map(String.init).joined(separator: ",") }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// The notes of the checkpoint at `url`, read from its header alone (to decide whether to
    /// resume from it before loading anything).
    public static func notes(at url: URL) throws -> [String: String] {
        let metadata = try SafeTensors.readMetadata(contentsOf: url)
        guard metadata["format"] == "distillery-training-checkpoint-1" else {
            throw StateDictError(source: url.path, problems: ["not a Distillery training checkpoint (metadata 'format' is \(metadata["format"] ?? "absent"))"])
        }
        return metadata.filter { $0.key.hasPrefix("note.") }.reduce(into: [String: String]()) { $0[String($1.key.dropFirst(5))] = $1.value }
    }

    /// Loads a checkpoint into `model`, `optimizer` and the named `moduleOptimizers`, and
    /// returns the rest.
    public static func load(from url: URL, model: Module, optimizer: Optimizer, moduleOptimizers: [String: Optimizer] = [:]) throws -> TrainingCheckpoint {
        let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
        guard metadata["format"] == "distillery-training-checkpoint-1" else {
            throw StateDictError(source: url.path, problems: ["not a Distillery training checkpoint (metadata 'format' is \(metadata["format"] ?? "absent"))"])
        }
        guard let epoch = metadata["epoch"].flatMap(Int.init), let step = metadata["step"].flatMap(Int.init),
            let words = metadata["rng"]?.split(separator: ",").compactMap({ UInt64($0) }), words.count == 4
        else { throw StateDictError(source: url.path, problems: ["metadata lacks epoch, step or rng"]) }
        func part(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value) })
        }
        // A module that had no optimizer of its own when the checkpoint was written cannot
        // resume: its state is mixed into the model's optimizer.
        for name in moduleOptimizers.keys.sorted() where !tensors.keys.contains(where: { $0.hasPrefix("optimizers.\(name).") }) {
            throw StateDictError(source: url.path, problems: [
                "no optimizer state for module '\(name)': the checkpoint was written when '\(name)' shared the model's optimizer "
                    + "(before it had one of its own), so this run cannot resume from it; start afresh (delete the checkpoint, or pass --fresh to distill)",
            ])
        }
        try model.loadStateDict(part("model."), source: url.path)
        try optimizer.loadStateDict(part("optimizer."))
        for (name, moduleOptimizer) in moduleOptimizers {
            try moduleOptimizer.loadStateDict(part("optimizers.\(name)."))
        }
        let moduleStates = metadata.filter { $0.key.hasPrefix("rng.module.") }.reduce(into: [String: [UInt64]]()) {
            $0[String($1.key.dropFirst("rng.module.".count))] = $1.value.split(separator: ",").compactMap { UInt64($0) }
        }
        model.restoreRandomStates(moduleStates.filter { $0.value.count == 4 })
        let notes = metadata.filter { $0.key.hasPrefix("note.") }.reduce(into: [String: String]()) { $0[String($1.key.dropFirst(5))] = $1.value }
        return TrainingCheckpoint(epoch: epoch, step: step, generator: RandomGenerator(state: words), notes: notes)
    }
}
