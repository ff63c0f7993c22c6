import Datasets
import Distillation
import Foundation
import NN
import Tensors

/// The `teacher:` section: one model with its checkpoint (and optionally cached logits), an
/// ensemble, a panel of named teachers, or sources chosen by task similarity.
extension Experiment {
    /// A teacher from a model section with a `checkpoint`, an `ensemble` of them, or
    /// `sources` chosen or weighted by task similarity; also the module whose features
    /// teacher paths name.
    static func buildTeacher(
        _ section: ConfigNode, data: ExperimentData, usesCache: Bool = true, using generator: inout RandomGenerator
    ) throws -> (teacher: any Teacher, name: String) {
        if let sources = try section.optional("sources") {
            return try selectedSources(sources, in: section, data: data, using: &generator)
        }
        if let panel = try section.optional("panel") {
            // Named teachers (Hybrid Distill): feature paths read `name/path`.
            var members: [(name: String, teacher: any Teacher)] = []
            for name in try panel.keys {
                members.append((name, ModelTeacher(try loadedModel(try panel.required(name), data: data, using: &generator).model)))
            }
            guard !members.isEmpty else { throw panel.error("expected named teachers, e.g. {sup: {…}, mim: {…}}") }
            let logits = try section.choice("logits", from: members.map(\.name), default: members[0].name, what: "teacher")
            try section.finish()
            return (TeacherPanel(members, logitsFrom: logits), "panel of " + members.map(\.name).joined(separator: ", ") + " (logits from \(logits))")
        }
        if let members = try section.optional("ensemble") {
            let built = try members.elements().map { try loadedModel($0, data: data, using: &generator) }
            guard !built.isEmpty else { throw members.error("expected at least one teacher") }
            var weights: [Float]?
            if let weightsNode = try section.optional("weights") {
                let values: [Float] = try weightsNode.elements().map { try $0.value() }
                guard values.count == built.count, values.allSatisfy({ $0 >= 0 }), values.contains(where: { $0 > 0 }) else {
                    throw weightsNode.error("expected \(built.count) non-negative weights, not all zero; found \(values)")
                }
                weights = values
            }
            try section.finish()
            let teacher = EnsembleTeacher(built.map { ModelTeacher($0.model) }, weights: weights)
            return (teacher, "ensemble of " + built.map(\.name).joined(separator: ", "))
        }
        let cacheNode = try section.optional("cache")
        let (model, name) = try loadedModel(section, data: data, using: &generator)
        guard let cacheNode, usesCache else { return (ModelTeacher(model), name) }
        let path = try cacheNode.pathValue()
        do {
            let cache = try TeacherCache(contentsOf: URL(fileURLWithPath: path))
            try cache.validate(teacher: model, data: AnyDataset(data.training))
            return (cache, "\(name) (cached logits)")
        } catch let error as DataError {
            throw cacheNode.error(error.reason + (FileManager.default.fileExists(atPath: path) ? "" : " (build it with `distill cache-teacher`)"))
        } catch {
            throw cacheNode.error(FileManager.default.fileExists(atPath: path) ? "\(error)" : "no such file '\(path)' (build it with `distill cache-teacher`)")
        }
    }

    /// DistillNearest or DistillWeighted over source models of the target's classes:
    ///
    /// ```yaml
    /// teacher:
    ///   sources: [{model: mlp, hidden: [128], checkpoint: a.safetensors, feature: "1"}, …]
    ///   select: nearest        # or weighted (softmax of the scores at `temperature`)
    ///   similarity: leep       # or knn (leave-one-out 1-NN accuracy on the `feature` module)
    /// ```
    ///
    /// The scores are measured on the labeled training samples.
    static func selectedSources(
        _ list: ConfigNode, in section: ConfigNode, data: ExperimentData, using generator: inout RandomGenerator
    ) throws -> (teacher: any Teacher, name: String) {
        var sources: [(model: Module, featurePath: String)] = [], names: [String] = []
        for entry in try list.elements() {
            let featurePath: String = try entry.value("feature", default: "")
            let (model, name) = try loadedModel(entry, data: data, using: &generator)
            sources.append((model, featurePath))
            names.append(name)
        }
        guard sources.count >= 2 else { throw list.error("expected at least two sources to choose from") }
        let selection = try section.choice("select", from: ["nearest", "weighted"], default: "nearest")
        let similarityName = try section.choice("similarity", from: TaskSimilarity.allCases.map(\.rawValue), default: "leep")
        let similarity = TaskSimilarity(rawValue: similarityName)!
        if similarity == .nearestNeighbor, let missing = try list.elements().first(where: { try $0.optional("feature") == nil }) {
            throw missing.error("similarity 'knn' needs each source's `feature` module path")
        }
        let temperature: Double = try section.positiveValue("temperature", default: 0.1)
        try section.finish()
        let all = AnyDataset(data.training).all()
        guard let labels = all.labels?.integerScalars else { throw section.error("ranking sources needs labeled training samples") }
        let labeled = labels.indices.filter { labels[$0] >= 0 }
        guard labeled.count >= 2 else { throw section.error("ranking sources needs labeled training samples") }
        let target = AnyDataset(data.training).subset(labeled)
        let ranking = try SourceRanking(sources: sources, target: target, similarity: similarity)
        let scores = ranking.scores.map { String(format: "%.3f", $0) }.joined(separator: ", ")
        if selection == "nearest" {
            let index = ranking.nearest
            return (ModelTeacher(sources[index].model), "DistillNearest by \(similarityName) (scores \(scores)): source \(index), \(names[index])")
        }
        let weights = ranking.weights(temperature: temperature)
        return (EnsembleTeacher(sources.map { ModelTeacher($0.model) }, weights: weights),
                "DistillWeighted by \(similarityName) (scores \(scores); weights \(weights.map { String(format: "%.3f", $0) }.joined(separator: ", ")))")
    }

    /// A model section with a required `checkpoint`, built and loaded.
    static func loadedModel(
        _ section: ConfigNode, data: ExperimentData, using generator: inout RandomGenerator
    ) throws -> (model: Module, name: String) {
        let model = try ModelCatalog.build(section, inputShape: data.sampleShape, classes: data.classCount, isTrained: false, using: &generator)
        let name: String = try section.value("model", default: "")
        let checkpointNode = try section.required("checkpoint", "the teacher's weights, a safetensors file from Distillery or PyTorch")
        try loadWeights(into: model, from: checkpointNode, hint: "train the teacher first, e.g. `distill train <teacher config>`")
        try section.finish()
        return (model, name)
    }

    /// Loads the safetensors file a `checkpoint` key names into `model`; a missing file or
    /// one that does not fit the model is an error at that key.
    static func loadWeights(into model: Module, from checkpointNode: ConfigNode, hint: String) throws {
        let path = try checkpointNode.pathValue()
        guard FileManager.default.fileExists(atPath: path) else {
            throw checkpointNode.error("no such file '\(path)' (\(hint))")
        }
        do { try model.load(from: URL(fileURLWithPath: path)) } catch {
            throw checkpointNode.error("\(error)")
        }
    }
}
