import ArgumentParser
import Datasets
import Distillation
import Experiments
import Foundation

/// `distill cache-teacher config.yaml`: the teacher's logits on the training data, once.
struct CacheTeacherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache-teacher",
        abstract: "Compute a distill config's teacher logits on its training data once and write them (with fingerprints of teacher and data) to safetensors.",
        discussion: "Point the config's teacher.cache at the file to distill from it; a cache whose teacher or data changed is refused.")

    @OptionGroup var options: ConfigOptions

    @Flag(help: "With random augmentation: cache every augmented batch of every epoch (training.epochs of them), as the run will draw them.")
    var perEpoch = false

    func run() throws {
        let experiment = try options.experiment(nil, usesTeacherCache: false)
        guard experiment.kind == .distill, let teacher = experiment.teacherModel else {
            throw CommandFailure("\(options.config): cache-teacher needs a config with a single `teacher:` model (not an ensemble)")
        }
        let data = experiment.data
        let start = Date()
        let cache: TeacherCache
        if let transform = data.transform {
            guard perEpoch else {
                throw CommandFailure("\(options.config): data.augmentation is random, so cached logits of the plain images would never be used; pass --per-epoch to cache each epoch's augmented batches")
            }
            let loader = DataLoader(AnyDataset(data.training), batchSize: experiment.trainer.options.batchSize, shuffle: true,
                                    seed: experiment.trainer.options.seed, transform: transform)
            cache = try TeacherCache(teacher: teacher, data: AnyDataset(data.training), loader: loader,
                                     epochs: experiment.trainer.options.epochs, evaluation: data.validation)
        } else {
            cache = try TeacherCache(teacher: teacher, data: AnyDataset(data.training), evaluation: data.validation)
        }
        let path = experiment.teacherCachePath ?? experiment.outputDirectory.appendingPathComponent("teacher-cache.safetensors").path
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        try cache.save(to: URL(fileURLWithPath: path))
        print(String(format: "cached %d samples' %@ of %@ in %.1f s: %@", cache.sampleCount, cache.cachedOutputs.names.joined(separator: ", "), experiment.teacherName ?? "the teacher", Date().timeIntervalSince(start), path))
        if experiment.teacherCachePath == nil { print("add `cache: \(path)` to the config's teacher section to use it") }
    }
}
