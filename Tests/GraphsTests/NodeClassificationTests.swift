import Datasets
import Distillation
import Graphs
import NN
import Optim
import Tensors
import Training
import XCTest

/// Graph networks train on a citation graph's node splits through the ordinary trainer, and
/// MLPs that read each node's own features alone learn from a GCN teacher that read the
/// graph (GNN → MLP distillation), on Cora and Citeseer, 3 seeds each.
final class NodeClassificationTests: XCTestCase {
    private static let seeds = UInt64(1)...3
    private static let graphs = ["cora", "citeseer"].map { try! NodeClassificationGraph.planetoid($0).normalizingFeatures() }
    private static var graph: [String: NodeClassificationGraph] { Dictionary(uniqueKeysWithValues: graphs.map { ($0.name, $0) }) }
    /// Each graph's GCN teachers by seed, trained once for every test, with their test accuracy.
    nonisolated(unsafe) private static var teachers: [String: [(model: GCN, accuracy: Double)]] = [:]

    /// Trains `student` by `objective` on `data`, full batch, GCN's optimiser (Adam, 0.01,
    /// weight decay 5e-4), and returns its accuracy on `graph`'s test nodes.
    private static func train(_ student: Module, _ objective: any TrainingObjective, on data: TensorDataset, of graph: NodeClassificationGraph,
                              epochs: Int, seed: UInt64) throws -> Double {
        let trainer = Trainer(student: student, objective: objective, optimizer: Adam(learningRate: 0.01, weightDecay: 5e-4),
                              options: TrainingOptions(epochs: epochs, batchSize: data.count, schedule: .constant(0.01), seed: seed))
        try trainer.fit(data, validation: Optional<TensorDataset>.none)
        return try trainer.evaluate(on: try graph.nodes(graph.testNodes), by: ClassificationEvaluation()).top1
    }

    private static func labelsOnly() -> DistillationObjective { DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())])) }

    /// GCN's recipe (2 layers, 16 hidden units, dropout 0.5, 200 epochs) on the training
    /// nodes, once per graph and seed.
    private static func teachers(of graph: NodeClassificationGraph) throws -> [(model: GCN, accuracy: Double)] {
        if let trained = teachers[graph.name] { return trained }
        let trained = try seeds.map { seed in
            var generator = RandomGenerator(seed: seed)
            let gcn = GCN(widths: [graph.featureCount, 16, graph.classCount], using: &generator)
            let accuracy = try train(gcn, labelsOnly(), on: try graph.nodes(graph.trainNodes), of: graph, epochs: 200, seed: seed)
            gcn.eval()
            return (gcn, accuracy)
        }
        teachers[graph.name] = trained
        return trained
    }

    /// Test accuracy over the seeds of an MLP `[F, hidden, C]` (dropout 0.5) trained on every
    /// node, labeled on the training nodes, by `loss` from each seed's teacher.
    private func distilled(on graph: NodeClassificationGraph, hidden: Int, epochs: Int, _ loss: () -> WeightedLoss) throws -> [Double] {
        let everyNode = try graph.nodes(Array(0..<graph.nodeCount), labeled: Set(graph.trainNodes))
        return try zip(Self.seeds, try Self.teachers(of: graph)).map { seed, teacher in
            var generator = RandomGenerator(seed: seed &+ 100)
            let student = MLP(widths: [graph.featureCount, hidden, graph.classCount], dropout: 0.5, using: &generator)
            return try Self.train(student, DistillationObjective(teacher: ModelTeacher(teacher.model), loss: loss()), on: everyNode, of: graph,
                                  epochs: epochs, seed: seed)
        }
    }

    private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// GCN reaches the paper's accuracy on Cora (81.5%; at least 79% asserted).
    /// GLNN (Zhang et al., 2022), transductive: an MLP learns the teacher's soft labels on
    /// every node (KL at T = 1; λ = 0, the official default, so no labels). It closes most of
    /// the gap between the same MLP trained on the 140 training labels alone and the GCN: the
    /// GLNN paper's Cora numbers are MLP 59.2, GLNN 78.3 (its teacher, GraphSAGE: 80.5).
    func testGCNReachesThePapersAccuracyAndGLNNClosesMostOfTheGapToAnMLP() throws {
        let graph = Self.graph["cora"]!
        let teacher = try Self.teachers(of: graph).map(\.accuracy)
        let alone = try Self.seeds.map { seed in
            var generator = RandomGenerator(seed: seed &+ 100)
            return try Self.train(MLP(widths: [1433, 64, 7], dropout: 0.5, using: &generator), Self.labelsOnly(), on: try graph.nodes(graph.trainNodes),
                                  of: graph, epochs: 200, seed: seed)
        }
        let glnn = try distilled(on: graph, hidden: 64, epochs: 300) { WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 1))]) }
        print("Cora, 3 seeds: GCN \(teacher) mean \(mean(teacher)); MLP \(alone) mean \(mean(alone)); GLNN \(glnn) mean \(mean(glnn))")
        XCTAssertGreaterThanOrEqual(mean(teacher), 0.79, "GCN")
        XCTAssertGreaterThanOrEqual(mean(glnn) - mean(alone), 0.15, "GLNN over the MLP alone")
        XCTAssertLessThanOrEqual(mean(teacher) - mean(glnn), 0.05, "the teacher over GLNN")
    }

    /// FF-G2M (Wu et al., 2023): the low-frequency (neighbour) and high-frequency (difference)
    /// terms in place of GLNN's per-node KL, at the official λ (Cora 0.4, Citeseer 0.1) and
    /// τ = 1.5, match or beat GLNN at the same λ on both graphs (the paper reports gains over
    /// GLNN with every teacher; its code's ablation mode 2 is this GLNN). Asserted within half
    /// a point: at this scale the Citeseer gain is within the seeds' spread.
    func testFullFrequencyDistillationMatchesOrBeatsGLNNOnCoraAndCiteseer() throws {
        for (name, lambda) in [("cora", Float(0.4)), ("citeseer", Float(0.1))] {
            let graph = Self.graph[name]!
            let glnn = try distilled(on: graph, hidden: 64, epochs: 200) {
                WeightedLoss([(lambda, CrossEntropyTerm()), (1 - lambda, KnowledgeDistillationLoss(temperature: 1))])
            }
            let fullFrequency = try distilled(on: graph, hidden: 64, epochs: 200) {
                WeightedLoss([(lambda, CrossEntropyTerm()), (1 - lambda, LowFrequencyDistillation()), (1 - lambda, HighFrequencyDistillation())])
            }
            print("\(name), 3 seeds: GCN \(try Self.teachers(of: graph).map(\.accuracy)); GLNN \(glnn) mean \(mean(glnn)); FF-G2M \(fullFrequency) mean \(mean(fullFrequency))")
            XCTAssertGreaterThanOrEqual(mean(fullFrequency), mean(glnn) - 0.005, "\(name): FF-G2M against GLNN")
        }
    }
}
