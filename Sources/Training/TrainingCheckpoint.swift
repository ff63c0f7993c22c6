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

    /// Saves this checkpoint with the model's and optimizer's current state.
    public func save(model: Module, optimizer: Optimizer, to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (key, value) in model.stateDict() { tensors["model.\(key)"] = value }
        for (key, value) in optimizer.stateDict() { tensors["optimizer.\(key)"] = value }
        var metadata = notes.reduce(into: [String: String]()) { $0["note.\($1.key)"] = $1.value }
        metadata["epoch"] = String(epoch)
        metadata["step"] = String(step)
        metadata["rng"] = generator.state.map(String.init).joined(separator: ",")
        metadata["format"] = "distillery-training-checkpoint-1"
        for (path, state) in model.randomStates() { metadata["rng.module.\(path)"] = state.map(String.init).joined(separator: ",") }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Loads a checkpoint into `model` and `optimizer` and returns the rest.
    public static func load(from url: URL, model: Module, optimizer: Optimizer) throws -> TrainingCheckpoint {
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
        try model.loadStateDict(part("model."), source: url.path)
        try optimizer.loadStateDict(part("optimizer."))
        let moduleStates = metadata.filter { $0.key.hasPrefix("rng.module.") }.reduce(into: [String: [UInt64]]()) {
            $0[String($1.key.dropFirst("rng.module.".count))] = $1.value.split(separator: ",").compactMap { UInt64($0) }
        }
        model.restoreRandomStates(moduleStates.filter { $0.value.count == 4 })
        let notes = metadata.filter { $0.key.hasPrefix("note.") }.reduce(into: [String: String]()) { $0[String($1.key.dropFirst(5))] = $1.value }
        return TrainingCheckpoint(epoch: epoch, step: step, generator: RandomGenerator(state: words), notes: notes)
    }
}
