import Datasets
import Graphs
import Tensors
import Training

/// The data a run trains and evaluates on, from its `data:` section (for text, see
/// `languageModeling`):
///
/// ```yaml
/// data:
///   dataset: digits            # a name from `distill data list`
///   data_dir: /data            # optional (else $DISTILLERY_DATA_DIR, then the system location)
///   train_limit: 2000          # optional: a random subset of the training split
///   labeled_fraction: 0.035    # optional: keep labels on this fraction of each class; the
///                              #   rest is unlabeled (soft targets only)
///   labels: false              # optional: no labels at all (SSLD)
///   split_seed: 0
///   validation: test           # test | holdout (holdout_fraction of each training class; a
///                              #   graph's own validation nodes) | none
///   nodes: train               # a graph (cora, citeseer): train (the labeled training nodes) |
///                              #   all (every node, labeled on the training nodes: GLNN's
///                              #   transductive setting, for a run with a teacher)
///   setting: transductive      # a graph: transductive | inductive (GLNN's production setting:
///                              #   inductive_fraction of the test nodes, default 0.2, chosen by
///                              #   split_seed, are held out of the graph with their edges; runs
///                              #   train on the rest, and `test` scores the held-out nodes
///                              #   within the whole graph)
///   ego_networks: {hops: 2, node_kinds: 16}
///                              # a graph: graph classification instead, on each labeled node's
///                              #   ego-network (the nodes within `hops`) labelled by its class,
///                              #   nodes of `node_kinds` kinds (spherical k-means of the
///                              #   features); the graphs split 60/20/20 into train, validation
///                              #   (holdout) and test by split_seed
///   mirage: {hops: 1, minimum_support: 0.02, maximum_trees: 1}
///                              # with ego_networks: train on Mirage's distillate of the training
///                              #   graphs (the computation trees of `hops` in at least
///                              #   `minimum_support` of a class's graphs, up to `maximum_trees`
///                              #   mined together per distilled graph)
///   augmentation: [{name: random_crop, padding: 4}, {name: horizontal_flip}]
///                              # also random_erasing, gaussian_noise, patch_mask {patch, ratio}
/// ```
public struct ExperimentData {
    public let name: String
    public let training: any Dataset
    public let validation: (any Dataset)?
    /// The test split, when validation is held out of the training data: a run scores its
    /// saved weights on it once, after training.
    public let test: (any Dataset)?
    public let sampleShape: [Int]
    public let classCount: Int
    /// Whether any training sample carries a label.
    public let hasLabels: Bool
    /// Whether some training samples carry no label (`Batch.unlabeledMarker`).
    public let hasUnlabeledSamples: Bool
    public let transform: (any BatchTransform)?
    /// How the training data was derived, when a run should say so (Mirage's distillate and
    /// its compression).
    public var derivation: String? = nil
    /// A text run's tokenizer (its vocabulary is `classCount`).
    public var tokenizer: (any Tokenizer)? = nil
    /// How the run is evaluated when its method does not say: a language model by
    /// perplexity; nil for the classifier's default.
    public var evaluation: (any TaskEvaluation)? = nil

    public static let augmentations = ["random_crop", "horizontal_flip", "random_erasing", "gaussian_noise", "patch_mask"]

    /// Loads what the section describes; `dataDirectory` (from the command line) wins over
    /// the section's `data_dir`. Without a teacher (`usesUnlabeled` false), the unlabeled part
    /// of a `labeled_fraction` split is left out: nothing could learn from it.
    public static func load(_ section: ConfigNode, usesUnlabeled: Bool, dataDirectory: String? = nil) throws -> ExperimentData {
        if try describesText(section) { return try languageModeling(section) }
        let names = (DatasetCatalog.all.map(\.name) + TextCorpora.names).joined(separator: ", ")
        let nameNode = try section.required("dataset", "one of: \(names), or a text_file")
        let name: String = try nameNode.value()
        guard DatasetCatalog.all.contains(where: { $0.name == name }) else {
            throw nameNode.error("unknown data set '\(name)' (valid: \(names), or a text_file)")
        }
        let directory = try dataDirectory ?? section.pathValue("data_dir")
        let splitSeed: UInt64 = try section.value("split_seed", default: 0)
        let full: TensorDataset, test: TensorDataset
        do {
            full = try DatasetCatalog.load(name, split: .train, dataDirectory: directory)
            test = try DatasetCatalog.load(name, split: .test, dataDirectory: directory)
        } catch let error as DataError {
            throw nameNode.error(error.description)
        }
        guard test.sampleShape == full.sampleShape else {
            throw nameNode.error("the test split's samples are \(test.sampleShape), the training split's \(full.sampleShape); both must have one shape")
        }
        let validationChoice = try section.choice("validation", from: ["test", "holdout", "none"], default: "test")
        var training: any Dataset = full, validation: (any Dataset)? = validationChoice == "test" ? test : nil
        let graph: NodeClassificationGraph?
        do { graph = try DatasetCatalog.graph(named: name) } catch let error as DataError { throw nameNode.error(error.description) }
        var hasUnlabeledSamples = false
        var testSplit: any Dataset = test
        if let graph, let egoSection = try section.optional("ego_networks") {
            for key in ["nodes", "setting", "inductive_fraction", "holdout_fraction"] {
                if let stray = try section.optional(key) { throw stray.error("\(key) is for node classification; ego_networks makes a graph-classification set") }
            }
            return try graphClassification(section, ego: egoSection, graph: graph, validationChoice: validationChoice, splitSeed: splitSeed)
        } else if let stray = try section.optional("mirage") {
            throw stray.error("mirage distills a graph-classification set; add ego_networks (on cora or citeseer)")
        }
        if var graph {
            if try section.choice("setting", from: ["transductive", "inductive"], default: "transductive") == "inductive" {
                let fractionNode = try section.optional("inductive_fraction")
                let fraction: Double = try section.value("inductive_fraction", default: 0.2)
                guard fraction > 0 && fraction < 1 else { throw (fractionNode ?? section).error("must be in (0, 1), found \(fraction)") }
                let split = try graph.inductiveSplit(fraction: fraction, seed: splitSeed)
                graph = split.observed
                (training, testSplit) = (try graph.nodes(graph.trainNodes), try split.whole.nodes(split.heldOutNodes))
                if validationChoice == "test" { validation = testSplit }
            } else if let stray = try section.optional("inductive_fraction") {
                throw stray.error("inductive_fraction is for setting: inductive")
            }
            if validationChoice == "holdout" {
                if let stray = try section.optional("holdout_fraction") { throw stray.error("a graph holds out its own validation nodes; remove holdout_fraction") }
                validation = try graph.nodes(graph.validationNodes)
            }
            if let nodesNode = try section.optional("nodes") {
                let choice = try section.choice("nodes", from: ["train", "all"], default: "train")
                if choice == "all" {
                    guard usesUnlabeled else { throw nodesNode.error("nodes: all trains on unlabeled nodes, which needs a teacher (or use nodes: train)") }
                    training = try graph.nodes(Array(0..<graph.nodeCount), labeled: Set(graph.trainNodes))
                    hasUnlabeledSamples = true
                }
            }
        } else {
            for key in ["nodes", "setting", "inductive_fraction", "ego_networks"] {
                if let stray = try section.optional(key) {
                    throw stray.error("\(key) is for a graph data set (\(NodeClassificationGraph.planetoidNames.joined(separator: ", "))); \(name) is not one")
                }
            }
        }
        if validationChoice == "holdout" && graph == nil {
            // Model selection (distill auto) must not see the test split: hold out part of training.
            let fraction: Double = try section.value("holdout_fraction", default: 0.15)
            guard fraction > 0 && fraction < 1 else { throw (try section.optional("holdout_fraction") ?? section).error("must be in (0, 1), found \(fraction)") }
            let (kept, heldOut) = full.labeledSplit(fraction: 1 - fraction, seed: splitSeed &+ 0x484F4C44)
            (training, validation) = (kept, heldOut)
        }
        if let limitNode = try section.optional("train_limit") {
            let limit: Int = try limitNode.value()
            guard (1...training.count).contains(limit) else { throw limitNode.error("must be in 1…\(training.count), found \(limit)") }
            training = try subset(training, count: limit, seed: splitSeed)
        }
        var hasLabels = true
        if let fractionNode = try section.optional("labeled_fraction") {
            let fraction: Double = try fractionNode.value()
            guard fraction > 0 && fraction <= 1 else { throw fractionNode.error("must be in (0, 1], found \(fraction)") }
            training = try split(training, labeledFraction: fraction, keepsUnlabeled: usesUnlabeled, seed: splitSeed)
            hasUnlabeledSamples = usesUnlabeled && fraction < 1
        }
        if let labelsNode = try section.optional("labels"), !(try labelsNode.value(Bool.self)) {
            guard usesUnlabeled else { throw labelsNode.error("training without labels needs a teacher") }
            training = UnlabeledDataset(AnyDataset(training), marked: true)
            (hasLabels, hasUnlabeledSamples) = (false, true)
        }
        var transforms: [any BatchTransform] = []
        for entry in try section.optional("augmentation")?.elements() ?? [] {
            transforms.append(try augmentation(entry, sampleShape: full.sampleShape))
            try entry.finish()
        }
        try section.finish()
        return ExperimentData(
            name: name, training: training, validation: validation, test: validationChoice == "holdout" ? testSplit : nil, sampleShape: full.sampleShape,
            classCount: full.classNames.count, hasLabels: hasLabels, hasUnlabeledSamples: hasUnlabeledSamples, transform: transforms.isEmpty ? nil : Compose(transforms))
    }

    /// `data` with `ego_networks`: the graph's ego-networks as a graph-classification set,
    /// trained on whole or as Mirage's distillate.
    private static func graphClassification(_ section: ConfigNode, ego egoSection: ConfigNode, graph: NodeClassificationGraph,
                                            validationChoice: String, splitSeed: UInt64) throws -> ExperimentData {
        let hops: Int = try egoSection.value("hops", default: 2, in: 1...8)
        let kindCount: Int = try egoSection.value("node_kinds", default: 16, in: 1...min(graph.nodeCount, 4096))
        try egoSection.finish()
        let ego = try graph.egoNetworks(hops: hops, nodeKinds: try graph.featureClusters(count: kindCount, seed: splitSeed),
                                        kindCount: kindCount, seed: splitSeed)
        var training: any Dataset = ego.train
        var derivation: String?
        if let mirageSection = try section.optional("mirage") {
            let defaults = Mirage()
            let mirage = Mirage(hops: try mirageSection.value("hops", default: defaults.hops, in: 1...8),
                                minimumSupport: try mirageSection.value("minimum_support", default: defaults.minimumSupport, in: 0.000_001...1),
                                maximumTrees: try mirageSection.value("maximum_trees", default: defaults.maximumTrees, in: 1...16))
            try mirageSection.finish()
            let distillate: MirageDistillate
            do { distillate = try mirage.distill(ego.train) } catch let error as DataError { throw mirageSection.error(error.reason) }
            training = distillate.graphs
            derivation = "Mirage: \(distillate.graphs.count) distilled graphs of \(distillate.treeCount) distinct \(mirage.hops)-hop computation trees "
                + "from \(ego.train.count) training graphs, \(String(format: "%.1f", distillate.compressionRatio))× smaller "
                + "(\(distillate.storage) against \(distillate.fullStorage) nodes and edges)"
        }
        if let stray = try ["train_limit", "labeled_fraction", "labels", "augmentation"].lazy.compactMap({ try section.optional($0) }).first {
            throw stray.error("not supported with ego_networks")
        }
        try section.finish()
        let validation: (any Dataset)? = switch validationChoice {
        case "test": ego.test
        case "holdout": ego.validation
        default: nil
        }
        var data = ExperimentData(name: ego.all.name, training: training, validation: validation, test: validationChoice == "holdout" ? ego.test : nil,
                                  sampleShape: ego.all.sampleShape, classCount: graph.classCount, hasLabels: true, hasUnlabeledSamples: false,
                                  transform: nil)
        data.derivation = derivation
        return data
    }

    private static func subset<Base: Dataset>(_ data: Base, count: Int, seed: UInt64) throws -> any Dataset {
        data.randomSplit(fractions: [Double(count) / Double(data.count), 1 - Double(count) / Double(data.count)], seed: seed)[0]
    }

    private static func split<Base: Dataset>(_ data: Base, labeledFraction: Double, keepsUnlabeled: Bool, seed: UInt64) throws -> any Dataset {
        let (labeled, unlabeled) = data.labeledSplit(fraction: labeledFraction, seed: seed)
        return unlabeled.count == 0 || !keepsUnlabeled ? labeled : try labeled.joined(unlabeled: unlabeled)
    }

    /// One transform from a `{name, …}` entry (also the `student_view` of a distill config).
    static func augmentation(_ entry: ConfigNode, sampleShape: [Int]) throws -> any BatchTransform {
        let name = try entry.choice("name", from: augmentations, what: "augmentation")
        if name != "gaussian_noise" && sampleShape.count != 3 {
            throw entry.error("\(name) needs image samples [C, H, W]; this data's are \(sampleShape)")
        }
        let side = min(sampleShape[safe: 1] ?? 1, sampleShape[safe: 2] ?? 1)
        switch name {
        case "random_crop":
            return RandomCrop(height: sampleShape[1], width: sampleShape[2], padding: try entry.value("padding", default: 4, in: 0...side))
        case "horizontal_flip":
            return RandomHorizontalFlip(probability: try entry.value("probability", default: 0.5, in: 0...1))
        case "patch_mask":
            return RandomPatchMasking(patch: try entry.value("patch", default: max(1, side / 8), in: 1...side),
                                      ratio: try entry.value("ratio", default: 0.75, in: 0...1))
        case "random_erasing":
            return RandomErasing(probability: try entry.value("probability", default: 0.5, in: 0...1))
        default:
            return GaussianNoise(standardDeviation: try entry.nonNegativeValue("std", default: 0.1))
        }
    }
}

/// A data set of unknown concrete type as a concrete one, for the generic APIs (loaders,
/// trainers, caches) that an experiment's `any Dataset` feeds.
public struct AnyDataset: Dataset {
    public let base: any Dataset
    public init(_ base: any Dataset) { self.base = base }
    public var count: Int { base.count }
    public var sampleShape: [Int] { base.sampleShape }
    public var classNames: [String] { base.classNames }
    public func batch(at indices: [Int]) -> Batch { base.batch(at: indices) }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
