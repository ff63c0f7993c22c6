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
/// graph (GNN → MLP distillation), on Cora and Citeseer, 3 seeds each, by the recipes of
/// `distill demo graph` (`GraphDemo`).
final class NodeClassificationTests: XCTestCase {
    private static let seeds = Array(UInt64(1)...3)
    private static let graphs = Dictionary(uniqueKeysWithValues: ["cora", "citeseer"].map {
        ($0, try! NodeClassificationGraph.planetoid($0).normalizingFeatures())
    })
    /// Each graph's GCN teachers by seed, trained once for every test, with their test accuracy.
    nonisolated(unsafe) private static var trainedTeachers: [String: [(model: GCN, accuracy: Double)]] = [:]

    private static func teachers(of graph: NodeClassificationGraph) throws -> [(model: GCN, accuracy: Double)] {
        if let trained = trainedTeachers[graph.name] { return trained }
        let trained = try seeds.map { try GraphDemo.teacher(on: graph, seed: $0) }
        trainedTeachers[graph.name] = trained
        return trained
    }

    /// Each seed's student's test accuracy, distilled by `loss` from that seed's teacher.
    private func distilled(on graph: NodeClassificationGraph, epochs: Int, _ loss: WeightedLoss) throws -> [Double] {
        try zip(Self.seeds, try Self.teachers(of: graph)).map { seed, teacher in
            try GraphDemo.distilledStudent(from: teacher.model, on: graph, loss: loss, epochs: epochs, seed: seed).accuracy
        }
    }

    private func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    /// GLNN students at `lambda`, 200 epochs, computed once for every test that compares with them.
    nonisolated(unsafe) private static var glnnStudents: [String: [Double]] = [:]

    private func glnn(on graph: NodeClassificationGraph, lambda: Float) throws -> [Double] {
        let key = "\(graph.name) \(lambda)"
        if let computed = Self.glnnStudents[key] { return computed }
        let computed = try distilled(on: graph, epochs: 200, GraphDemo.glnn(lambda: lambda))
        Self.glnnStudents[key] = computed
        return computed
    }

    /// GCN reaches the paper's accuracy on Cora (81.5%; at least 79% asserted).
    /// GLNN (Zhang et al., 2022), transductive: an MLP learns the teacher's soft labels on
    /// every node (KL at T = 1; λ = 0, the official default, so no labels). It closes most of
    /// the gap between the same MLP trained on the 140 training labels alone and the GCN: the
    /// GLNN paper's Cora numbers are MLP 59.2, GLNN 78.3 (its teacher, GraphSAGE: 80.5).
    func testGCNReachesThePapersAccuracyAndGLNNClosesMostOfTheGapToAnMLP() throws {
        let graph = Self.graphs["cora"]!
        let teacher = try Self.teachers(of: graph).map(\.accuracy)
        let alone = try Self.seeds.map { seed in
            try GraphDemo.train(GraphDemo.student(for: graph, seed: seed), GraphDemo.labelsOnly(), on: try graph.nodes(graph.trainNodes), of: graph,
                                epochs: 200, seed: seed)
        }
        let glnn = try distilled(on: graph, epochs: 300, GraphDemo.glnn(lambda: 0))
        print("Cora, 3 seeds: GCN \(teacher) mean \(mean(teacher)); MLP \(alone) mean \(mean(alone)); GLNN \(glnn) mean \(mean(glnn))")
        XCTAssertGreaterThanOrEqual(mean(teacher), 0.79, "GCN")
        XCTAssertGreaterThanOrEqual(mean(glnn) - mean(alone), 0.15, "GLNN over the MLP alone")
        XCTAssertLessThanOrEqual(mean(teacher) - mean(glnn), 0.05, "the teacher over GLNN")
    }

    /// GAT (Veličković et al., 2018) with the paper's settings (8 heads of 8 units, dropout
    /// 0.6 on features and attention, Adam 0.005 with weight decay 5e-4), 200 full-batch
    /// epochs, comes within 2.5 points of the paper's 83.0% on Cora, as GCN must of its 81.5%.
    func testGATReachesThePapersAccuracyOnCora() throws {
        let graph = Self.graphs["cora"]!
        let accuracies = try Self.seeds.map { seed in
            var generator = RandomGenerator(seed: seed)
            let gat = GAT(inputFeatures: graph.featureCount, classes: graph.classCount, using: &generator)
            let trainer = Trainer(student: gat, objective: GraphDemo.labelsOnly(), optimizer: Adam(learningRate: 0.005, weightDecay: 5e-4),
                                  options: TrainingOptions(epochs: 200, batchSize: graph.trainNodes.count, schedule: .constant(0.005), seed: seed))
            try trainer.fit(try graph.nodes(graph.trainNodes), validation: Optional<TensorDataset>.none)
            return try trainer.evaluate(on: try graph.nodes(graph.testNodes), by: ClassificationEvaluation()).top1
        }
        print("Cora, 3 seeds: GAT \(accuracies) mean \(mean(accuracies))")
        XCTAssertGreaterThanOrEqual(mean(accuracies), 0.805)
    }

    /// GraphSAGE (mean aggregator, 128 hidden, 5 sampled neighbours per layer, dropout 0.5)
    /// and APPNP (64 hidden, α 0.1, 10 steps) trained like GCN on Cora's 140 labels: both
    /// reach GCN's level, as the papers place them (APPNP's paper: 83.3% on its Cora split;
    /// GLNN's GraphSAGE teacher: 80.5%). At least 78% and 81% asserted.
    func testGraphSAGEAndAPPNPReachTheirPapersLevelOnCora() throws {
        let graph = Self.graphs["cora"]!
        var (sage, appnp) = ([Double](), [Double]())
        for seed in Self.seeds {
            var generator = RandomGenerator(seed: seed)
            let sageModel = GraphSAGE(widths: [graph.featureCount, 128, graph.classCount], fanouts: [5, 5], using: &generator)
            sage.append(try GraphDemo.train(sageModel, GraphDemo.labelsOnly(), on: try graph.nodes(graph.trainNodes), of: graph, epochs: 200, seed: seed))
            let appnpModel = APPNP(features: graph.featureCount, classes: graph.classCount, using: &generator)
            appnp.append(try GraphDemo.train(appnpModel, GraphDemo.labelsOnly(), on: try graph.nodes(graph.trainNodes), of: graph, epochs: 200, seed: seed))
        }
        print("Cora, 3 seeds: GraphSAGE \(sage) mean \(mean(sage)); APPNP \(appnp) mean \(mean(appnp))")
        XCTAssertGreaterThanOrEqual(mean(sage), 0.78, "GraphSAGE")
        XCTAssertGreaterThanOrEqual(mean(appnp), 0.81, "APPNP")
    }

    /// GLNN's production setting: 20% of Cora's test nodes and their edges are held out; the
    /// GCN teacher and the GLNN student (λ 0) train on the observed graph, and are scored on
    /// the held-out nodes within the whole graph, the GCN reading their neighbourhoods, the MLP
    /// their features alone. GLNN's paper (its Table 3, GraphSAGE teacher): on Cora, SAGE 79.5
    /// and GLNN 73.3 inductive, MLP 59.0.
    func testGLNNInTheProductionSettingStaysFarAboveTheMLPOnNodesUnseenInTraining() throws {
        let graph = Self.graphs["cora"]!
        var (teachers, students, alone) = ([Double](), [Double](), [Double]())
        for seed in Self.seeds {
            let split = try graph.inductiveSplit(fraction: 0.2, seed: seed)
            let heldOut = try split.whole.nodes(split.heldOutNodes)
            func inductive(_ model: Module) throws -> Double {
                model.eval()
                return try ClassificationEvaluation().evaluate(student: model, teacher: nil, on: heldOut).top1
            }
            let (teacher, _) = try GraphDemo.teacher(on: split.observed, seed: seed)
            teachers.append(try inductive(teacher))
            let (student, _) = try GraphDemo.distilledStudent(from: teacher, on: split.observed, loss: GraphDemo.glnn(lambda: 0), epochs: 300, seed: seed)
            students.append(try inductive(student))
            let mlp = GraphDemo.student(for: split.observed, seed: seed)
            _ = try GraphDemo.train(mlp, GraphDemo.labelsOnly(), on: try split.observed.nodes(split.observed.trainNodes), of: split.observed, epochs: 200, seed: seed)
            alone.append(try inductive(mlp))
        }
        print("Cora production setting, 200 held-out nodes, 3 seeds: GCN \(teachers) mean \(mean(teachers)); GLNN \(students) mean \(mean(students)); MLP \(alone) mean \(mean(alone))")
        XCTAssertGreaterThanOrEqual(mean(students) - mean(alone), 0.10, "GLNN over the MLP on unseen nodes")
        XCTAssertLessThanOrEqual(mean(teachers) - mean(students), 0.10, "the GCN over GLNN on unseen nodes")
    }

    /// FF-G2M (Wu et al., 2023): the low-frequency (neighbour) and high-frequency (difference)
    /// terms in place of GLNN's per-node KL, at the official λ (Cora 0.4, Citeseer 0.1) and
    /// τ = 1.5, match or beat GLNN at the same λ on both graphs (the paper reports gains over
    /// GLNN with every teacher; its code's ablation mode 2 is this GLNN). Asserted within half
    /// a point: at this scale the Citeseer gain is within the seeds' spread.
    func testFullFrequencyDistillationMatchesOrBeatsGLNNOnCoraAndCiteseer() throws {
        for (name, lambda) in [("cora", Float(0.4)), ("citeseer", Float(0.1))] {
            let graph = Self.graphs[name]!
            let glnn = try glnn(on: graph, lambda: lambda)
            let fullFrequency = try distilled(on: graph, epochs: 200, GraphDemo.fullFrequency(lambda: lambda))
            print("\(name), 3 seeds: GCN \(try Self.teachers(of: graph).map(\.accuracy)); GLNN \(glnn) mean \(mean(glnn)); FF-G2M \(fullFrequency) mean \(mean(fullFrequency))")
            XCTAssertGreaterThanOrEqual(mean(fullFrequency), mean(glnn) - 0.005, "\(name): FF-G2M against GLNN")
        }
    }

    /// VQGraph (Yang et al., 2024) on Cora: a GCN VQ-VAE teacher (`VQGraphGCN`, trained by
    /// `VQGraphTraining`) and an MLP student taught its soft labels and its soft token
    /// assignments (τ 4) beat GLNN from the plain GCN at the same λ (0.4), as the paper claims
    /// (its Cora: GLNN 80.5, VQGraph 83.6 with a GraphSAGE teacher). Measured 80.8% against
    /// 78.0% over 3 seeds. On Citeseer the claim does not hold at this scale: the VQ-VAE
    /// teacher reaches only 64% against GCN's 71%, and its student 70.0% against GLNN's 71.5%
    /// (`benchmarks/graph/run.sh` measures both).
    func testVQGraphBeatsGLNNOnCora() throws {
        let graph = Self.graphs["cora"]!
        let lambda: Float = 0.4
        let glnn = try glnn(on: graph, lambda: lambda)
        var (teachers, students) = ([Double](), [Double]())
        for seed in Self.seeds {
            let (teacher, accuracy) = try GraphDemo.vectorQuantizedTeacher(on: graph, seed: seed)
            teachers.append(accuracy)
            let loss = GraphDemo.tokenDistillation(from: teacher, lambda: lambda, tokenWeight: 1, seed: seed)
            students.append(try GraphDemo.distilledStudent(from: teacher, on: graph, loss: loss, seed: seed).accuracy)
        }
        print("cora, 3 seeds: VQ-VAE teacher \(teachers) mean \(mean(teachers)); GLNN \(glnn) mean \(mean(glnn)); VQGraph \(students) mean \(mean(students))")
        XCTAssertGreaterThanOrEqual(mean(teachers), 0.77, "the VQ-VAE teacher")
        XCTAssertGreaterThanOrEqual(mean(students), mean(glnn), "VQGraph against GLNN")
    }
}
