import Datasets
import Distillation
import Foundation
import NN
import Optim
import Tensors
import Training

/// `distill demo graph`: a GCN teacher on Cora, an MLP trained on the labels alone, MLPs
/// distilled from the GCN by GLNN and FF-G2M, and VQGraph's teacher and student, with each
/// one's test accuracy and inference time. The recipes are the ones the tests assert on.
public enum GraphDemo {
    /// One line of the table.
    public struct Row: Sendable {
        public let model: String
        public let testAccuracy: Double
        /// Milliseconds to score 1,000 nodes, in batches of `inferenceBatch`.
        public let millisecondsPerThousandNodes: Double
    }

    /// How many nodes one inference call scores.
    public static let inferenceBatch = 100

    /// Trains `student` by `objective` on `data`, full batch, with GCN's optimiser (Adam,
    /// learning rate 0.01, weight decay 5e-4), and returns its accuracy on `graph`'s test
    /// nodes.
    public static func train(_ student: Module, _ objective: any TrainingObjective, on data: TensorDataset, of graph: NodeClassificationGraph,
                             epochs: Int, seed: UInt64) throws -> Double {
        let trainer = Trainer(student: student, objective: objective, optimizer: Adam(learningRate: 0.01, weightDecay: 5e-4),
                              options: TrainingOptions(epochs: epochs, batchSize: data.count, schedule: .constant(0.01), seed: seed))
        try trainer.fit(data, validation: Optional<TensorDataset>.none)
        return try trainer.evaluate(on: try graph.nodes(graph.testNodes), by: ClassificationEvaluation()).top1
    }

    /// Cross-entropy on the labels alone.
    public static func labelsOnly() -> DistillationObjective { DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())])) }

    /// GCN's recipe (2 layers, 16 hidden units, dropout 0.5, 200 epochs) on the training
    /// nodes; the teacher, in inference mode, and its test accuracy.
    public static func teacher(on graph: NodeClassificationGraph, seed: UInt64) throws -> (model: GCN, accuracy: Double) {
        var generator = RandomGenerator(seed: seed)
        let gcn = GCN(widths: [graph.featureCount, 16, graph.classCount], using: &generator)
        let accuracy = try train(gcn, labelsOnly(), on: try graph.nodes(graph.trainNodes), of: graph, epochs: 200, seed: seed)
        gcn.eval()
        return (gcn, accuracy)
    }

    /// VQGraph's teacher (`VQGraphGCN` with its defaults: 64-wide codes, 512 of them, 64
    /// hidden, dropout 0.8, dead codes restarted below 2) trained by `VQGraphTraining` with
    /// GCN's optimiser for 200 epochs on the training nodes; in inference mode, with its test
    /// accuracy.
    public static func vectorQuantizedTeacher(on graph: NodeClassificationGraph, training: VQGraphTraining = VQGraphTraining(),
                                              seed: UInt64) throws -> (model: VQGraphGCN, accuracy: Double) {
        var generator = RandomGenerator(seed: seed)
        let model = VQGraphGCN(features: graph.featureCount, classes: graph.classCount, using: &generator)
        let accuracy = try train(model, training, on: try graph.nodes(graph.trainNodes), of: graph, epochs: 200, seed: seed)
        model.eval()
        return (model, accuracy)
    }

    /// VQGraph's student loss: GLNN's `λ·CE + (1 − λ)·KL` plus `μ·` the soft token
    /// assignment to `teacher`'s codebook (τ 4) from the student's hidden feature.
    public static func tokenDistillation(from teacher: VQGraphGCN, lambda: Float, tokenWeight: Float, hidden: Int = 64, seed: UInt64) -> WeightedLoss {
        var generator = RandomGenerator(seed: seed &+ 200)
        let tokens = SoftTokenDistillation(student: "1", studentFeatures: hidden, codebook: teacher.vq.codebook, using: &generator)
        return WeightedLoss(glnn(lambda: lambda).terms + [(tokenWeight, tokens)])
    }

    /// The student every method trains: an MLP `[F, hidden, C]` with dropout 0.5, initialised
    /// from `seed + 100` (the same for every method at one seed).
    public static func student(for graph: NodeClassificationGraph, hidden: Int = 64, seed: UInt64) -> MLP {
        var generator = RandomGenerator(seed: seed &+ 100)
        return MLP(widths: [graph.featureCount, hidden, graph.classCount], dropout: 0.5, using: &generator)
    }

    /// GLNN's loss: `λ·CE + (1 − λ)·KL(teacher ‖ student)` at T = 1 on every node.
    public static func glnn(lambda: Float) -> WeightedLoss {
        WeightedLoss([(lambda, CrossEntropyTerm()), (1 - lambda, KnowledgeDistillationLoss(temperature: 1))])
    }

    /// FF-G2M's loss: `λ·CE + (1 − λ)·(low-frequency + high-frequency)`.
    public static func fullFrequency(lambda: Float, temperature: Float = 1.5) -> WeightedLoss {
        WeightedLoss([(lambda, CrossEntropyTerm()), (1 - lambda, LowFrequencyDistillation()), (1 - lambda, HighFrequencyDistillation(temperature: temperature))])
    }

    /// An MLP student distilled from `teacher` by `loss` on every node of `graph` (labels on
    /// the training nodes only: the transductive setting), and its test accuracy.
    public static func distilledStudent(from teacher: Module, on graph: NodeClassificationGraph, loss: WeightedLoss, hidden: Int = 64,
                                        epochs: Int = 200, seed: UInt64) throws -> (model: MLP, accuracy: Double) {
        let everyNode = try graph.nodes(Array(0..<graph.nodeCount), labeled: Set(graph.trainNodes))
        let model = student(for: graph, hidden: hidden, seed: seed)
        let accuracy = try train(model, DistillationObjective(teacher: ModelTeacher(teacher), loss: loss), on: everyNode, of: graph, epochs: epochs, seed: seed)
        model.eval()
        return (model, accuracy)
    }

    /// Milliseconds to score 1,000 of `graph`'s test nodes by `score` in batches of
    /// `inferenceBatch` (the median of 5 passes over them).
    static func inferenceMilliseconds(_ graph: NodeClassificationGraph, _ score: ([Int]) -> Tensor) -> Double {
        let batches = stride(from: 0, to: graph.testNodes.count, by: inferenceBatch).map {
            Array(graph.testNodes[$0..<min($0 + inferenceBatch, graph.testNodes.count)])
        }
        let passes = (0..<5).map { _ in
            let start = Date()
            withoutGradients { for batch in batches { _ = score(batch) } }
            return Date().timeIntervalSince(start)
        }
        return passes.sorted()[2] * 1000 * 1000 / Double(graph.testNodes.count)
    }

    /// Every row on Cora, seed 1; `progress` hears each model's name as it starts.
    public static func run(progress: (String) -> Void = { _ in }) throws -> [Row] {
        let graph = try NodeClassificationGraph.planetoid("cora").normalizingFeatures()
        let features = graph.features
        func mlpRow(_ name: String, _ model: MLP, accuracy: Double) -> Row {
            Row(model: name, testAccuracy: accuracy, millisecondsPerThousandNodes: inferenceMilliseconds(graph) { model(features.indexSelect(axis: 0, indices: $0)) })
        }
        progress("GCN teacher")
        let (gcn, teacherAccuracy) = try teacher(on: graph, seed: 1)
        var rows = [Row(model: "GCN teacher (2 layers, 16 hidden)", testAccuracy: teacherAccuracy, millisecondsPerThousandNodes: inferenceMilliseconds(graph) {
            gcn(GraphInputs(features: features, adjacency: graph.adjacency, nodes: $0)).logits
        })]
        progress("MLP alone")
        let alone = student(for: graph, seed: 1)
        let aloneAccuracy = try train(alone, labelsOnly(), on: try graph.nodes(graph.trainNodes), of: graph, epochs: 200, seed: 1)
        alone.eval()
        rows.append(mlpRow("MLP alone (64 hidden, labels only)", alone, accuracy: aloneAccuracy))
        for (name, loss) in [("GLNN (λ 0)", glnn(lambda: 0)), ("FF-G2M (λ 0.4, τ 1.5)", fullFrequency(lambda: 0.4))] {
            progress(name)
            let (model, accuracy) = try distilledStudent(from: gcn, on: graph, loss: loss, seed: 1)
            rows.append(mlpRow("MLP by \(name)", model, accuracy: accuracy))
        }
        progress("VQGraph teacher")
        let (vectorQuantized, vectorQuantizedAccuracy) = try vectorQuantizedTeacher(on: graph, seed: 1)
        rows.append(Row(model: "VQGraph teacher (GCN VQ-VAE, 512 codes)", testAccuracy: vectorQuantizedAccuracy,
                        millisecondsPerThousandNodes: inferenceMilliseconds(graph) {
            vectorQuantized(GraphInputs(features: features, adjacency: graph.adjacency, nodes: $0)).logits
        }))
        progress("VQGraph student")
        let (tokenStudent, tokenAccuracy) = try distilledStudent(
            from: vectorQuantized, on: graph, loss: tokenDistillation(from: vectorQuantized, lambda: 0, tokenWeight: 1, seed: 1), seed: 1)
        rows.append(mlpRow("MLP by VQGraph (λ 0, tokens τ 4)", tokenStudent, accuracy: tokenAccuracy))
        return rows
    }

    /// The rows as a Markdown table.
    public static func table(_ rows: [Row]) -> String {
        (["| model | test accuracy | inference ms per 1k nodes |", "|---|---|---|"] + rows.map {
            String(format: "| %@ | %.1f%% | %.2f |", $0.model, $0.testAccuracy * 100, $0.millisecondsPerThousandNodes)
        }).joined(separator: "\n")
    }
}
