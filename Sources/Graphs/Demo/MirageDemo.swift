import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import Training

/// Mirage on a graph-classification set built from a citation graph: a GIN trained on every
/// training graph against one trained on Mirage's mined trees alone. The recipes are the
/// ones the tests, the demo and the reproduction script share.
public enum MirageDemo {
    /// Node kinds: this many feature clusters.
    public static let kindCount = 16

    /// Mirage's settings, its defaults: computation trees of 1 hop (a 1-layer GIN), kept when
    /// in at least 2% of a class's training graphs, one tree per distilled graph.
    public static let mirage = Mirage()

    /// `graph`'s 2-hop ego-networks, nodes of 16 kinds (spherical k-means of the features,
    /// seeded by `seed`), split 60/20/20 into train, validation and test graphs by `seed`.
    public static func egoNetworks(of graph: NodeClassificationGraph, seed: UInt64) throws -> EgoNetworkSet {
        let kinds = try graph.featureClusters(count: kindCount, seed: seed)
        return try graph.egoNetworks(hops: 2, nodeKinds: kinds, kindCount: kindCount, seed: seed)
    }

    /// A GIN of `layers` layers and 64 hidden units, mean readout, trained with Adam
    /// (learning rate 0.01) in batches of 32 graphs for up to `epochs` epochs, keeping the
    /// epoch of best validation accuracy (patience 20); its accuracy on `test`.
    public static func trainGIN(on train: GraphClassificationSet, validation: GraphClassificationSet, test: GraphClassificationSet,
                                layers: Int = 2, epochs: Int = 100, seed: UInt64) throws -> Double {
        var generator = RandomGenerator(seed: seed &+ 300)
        let model = GIN(features: train.sampleShape[0], hidden: 64, classes: train.classNames.count, layers: layers, readout: .mean,
                        using: &generator)
        var options = TrainingOptions(epochs: epochs, batchSize: 32, schedule: .constant(0.01), seed: seed)
        options.earlyStopping = EarlyStopping(metric: "top1", patience: 20)
        let trainer = Trainer(student: model, objective: GraphDemo.labelsOnly(), optimizer: Adam(learningRate: 0.01), options: options)
        try trainer.fit(train, validation: validation)
        return try trainer.evaluate(on: test, by: ClassificationEvaluation()).top1
    }
}

extension MirageDemo {
    /// One line of the table: what the GIN trained on.
    public struct Row: Sendable {
        public let trainingData: String
        public let graphs: Int
        /// The training data's nodes and adjacency entries (Mirage's: each distinct tree once).
        public let storage: Int
        public let testAccuracy: Double
    }

    /// The GIN on Cora's ego-networks at `seed`, trained on every training graph and on
    /// Mirage's distillate of them.
    public static func run(seed: UInt64 = 0, progress: (String) -> Void = { _ in }) throws -> [Row] {
        let ego = try egoNetworks(of: try NodeClassificationGraph.planetoid("cora"), seed: seed)
        progress("GIN on every training graph")
        let full = try trainGIN(on: ego.train, validation: ego.validation, test: ego.test, layers: mirage.hops, seed: seed)
        progress("GIN on Mirage's trees")
        let distillate = try mirage.distill(ego.train)
        let mined = try trainGIN(on: distillate.graphs, validation: ego.validation, test: ego.test, layers: mirage.hops, seed: seed)
        return [Row(trainingData: "every training graph", graphs: ego.train.count, storage: distillate.fullStorage, testAccuracy: full),
                Row(trainingData: String(format: "Mirage: 1-hop trees in ≥ %.0f%% of a class (%.1f× smaller)", mirage.minimumSupport * 100,
                                         distillate.compressionRatio),
                    graphs: distillate.graphs.count, storage: distillate.storage, testAccuracy: mined)]
    }

    /// The rows as a Markdown table.
    public static func table(_ rows: [Row]) -> String {
        (["| GIN trained on | graphs | nodes + edges | test accuracy |", "|---|---|---|---|"] + rows.map {
            String(format: "| %@ | %d | %d | %.1f%% |", $0.trainingData, $0.graphs, $0.storage, $0.testAccuracy * 100)
        }).joined(separator: "\n")
    }
}
