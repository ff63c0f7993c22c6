import Datasets
import Distillation
import Graphs
import NN
import Optim
import Tensors
import Training
import XCTest

/// Graph networks train on a citation graph's node splits through the ordinary trainer, and
/// an MLP that reads each node's own features alone learns from a GCN teacher that read the
/// graph (GNN → MLP distillation).
final class NodeClassificationTests: XCTestCase {
    private static let graph = try! NodeClassificationGraph.planetoid("cora").normalizingFeatures()

    /// Trains `student` by `objective` on `data`, full batch, GCN's optimiser (Adam, 0.01,
    /// weight decay 5e-4), and returns its test accuracy.
    private func train(_ student: Module, _ objective: any TrainingObjective, on data: TensorDataset, epochs: Int, seed: UInt64) throws -> Double {
        let trainer = Trainer(student: student, objective: objective, optimizer: Adam(learningRate: 0.01, weightDecay: 5e-4),
                              options: TrainingOptions(epochs: epochs, batchSize: data.count, schedule: .constant(0.01), seed: seed))
        try trainer.fit(data, validation: Optional<TensorDataset>.none)
        return try trainer.evaluate(on: try Self.graph.nodes(Self.graph.testNodes), by: ClassificationEvaluation()).top1
    }

    private func labelsOnly() -> DistillationObjective { DistillationObjective(teacher: nil, loss: WeightedLoss([(1, CrossEntropyTerm())])) }

    private func mlp(_ generator: inout RandomGenerator) -> MLP { MLP(widths: [1433, 64, 7], dropout: 0.5, using: &generator) }

    /// GCN reaches the paper's accuracy on Cora (81.5%; at least 79% asserted) over 3 seeds.
    /// GLNN (Zhang et al., 2022), transductive: an MLP learns the teacher's soft labels on
    /// every node (KL at T = 1; λ = 0, the official default, so no labels). It closes most of
    /// the gap between the same MLP trained on the 140 training labels alone and the GCN: the
    /// GLNN paper's Cora numbers are MLP 59.2, GLNN 78.3 (its teacher, GraphSAGE: 80.5).
    func testGCNReachesThePapersAccuracyAndGLNNClosesMostOfTheGapToAnMLP() throws {
        let graph = Self.graph
        var (teacher, alone, glnn) = ([Double](), [Double](), [Double]())
        for seed in UInt64(1)...3 {
            var generator = RandomGenerator(seed: seed)
            let gcn = GCN(widths: [1433, 16, 7], using: &generator)
            teacher.append(try train(gcn, labelsOnly(), on: try graph.nodes(graph.trainNodes), epochs: 200, seed: seed))
            alone.append(try train(mlp(&generator), labelsOnly(), on: try graph.nodes(graph.trainNodes), epochs: 200, seed: seed))
            gcn.eval()
            let everyNode = try graph.nodes(Array(0..<graph.nodeCount), labeled: Set(graph.trainNodes))
            let objective = DistillationObjective(teacher: ModelTeacher(gcn), loss: WeightedLoss([(1, KnowledgeDistillationLoss(temperature: 1))]))
            glnn.append(try train(mlp(&generator), objective, on: everyNode, epochs: 300, seed: seed))
        }
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(values.count) }
        print("Cora, 3 seeds: GCN \(teacher) mean \(mean(teacher)); MLP \(alone) mean \(mean(alone)); GLNN \(glnn) mean \(mean(glnn))")
        XCTAssertGreaterThanOrEqual(mean(teacher), 0.79, "GCN")
        XCTAssertGreaterThanOrEqual(mean(glnn) - mean(alone), 0.15, "GLNN over the MLP alone")
        XCTAssertLessThanOrEqual(mean(teacher) - mean(glnn), 0.05, "the teacher over GLNN")
    }
}
