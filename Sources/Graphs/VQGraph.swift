import Configuration
import Datasets
import Distillation
import NN
import Tensors

/// VQGraph's teacher training (Yang et al., 2024): the node classifier's cross-entropy on
/// the batch's labeled nodes, plus the graph VQ-VAE's losses over the whole graph,
/// `λ_node·mean((h − decode(token))²) + λ_edge·sqrt(mean((A − minmax(E·Eᵀ))²)) +
/// β·mean((h − sg(token))²)`. The defaults are the reference code's (λ_node 0.001,
/// λ_edge 0.03, β 0.25). The model is a `VQGraphGCN`.
///
/// The reference reconstructs the whole dense `N × N` adjacency every step; here each step
/// reconstructs the block among `structureSample` random nodes (all of them when the graph
/// is smaller), the same loss estimated at a fraction of the memory traffic: on Cora, 512
/// nodes cut a 200-epoch teacher from 38 s to under 10 s on two cores.
public struct VQGraphTraining: TrainingObjective {
    public var lambdaNode: Float
    public var lambdaEdge: Float
    public var commitmentWeight: Float
    /// Nodes whose adjacency block each step reconstructs.
    public var structureSample: Int
    public var teacher: (any Teacher)? { nil }
    public var trainableModules: [Module] { [] }

    public init(lambdaNode: Float = 0.001, lambdaEdge: Float = 0.03, commitmentWeight: Float = 0.25, structureSample: Int = 512) {
        precondition(structureSample > 0, "VQGraphTraining: structureSample must be positive")
        (self.lambdaNode, self.lambdaEdge, self.commitmentWeight, self.structureSample) = (lambdaNode, lambdaEdge, commitmentWeight, structureSample)
    }

    /// The batch, and the nodes whose structure this step reconstructs (nil: all).
    public func prepare(_ batch: Batch, student: Module, epoch: Int, using generator: inout RandomGenerator) throws -> (batch: Batch, structureNodes: [Int]?) {
        guard let nodeCount = batch.graph?.rowCount, nodeCount > structureSample else { return (batch, nil) }
        var nodes = Array(0..<nodeCount)
        for index in 0..<structureSample { nodes.swapAt(index, index + Int(generator.next() % UInt64(nodeCount - index))) }
        return (batch, nodes[..<structureSample].sorted())
    }

    public func loss(_ prepared: (batch: Batch, structureNodes: [Int]?), student: Module) throws -> (total: Tensor, parts: [String: Float]) {
        let batch = prepared.batch
        guard let model = student as? VQGraphGCN else { throw TrainerSetupError("vqgraph trains a vqgraph-gcn model, not \(type(of: student))") }
        let inputs = try GraphInputs(batch: batch)
        let pass = model.pass(inputs)
        guard let labels = batch.labels else { throw TrainerSetupError("vqgraph trains its classifier on labeled nodes: the batch has no labels") }
        let marker = Int(Batch.unlabeledMarker)
        let classification = labels.integerScalars.contains { $0 != marker }
            ? crossEntropy(logits: pass.logits.indexSelect(axis: 0, indices: inputs.nodes), labels: labels, ignoreIndex: marker) : Tensor(0)
        let (embedding, structure) = model.reconstructionLosses(pass, adjacency: inputs.adjacency, structureNodes: prepared.structureNodes)
        let commitment = pass.quantization.commitment
        let total = classification + embedding * lambdaNode + structure * lambdaEdge + commitment * commitmentWeight
        return (total, ["ce": classification.item, "embedding": embedding.item, "structure": structure.item, "commitment": commitment.item])
    }
}

extension VQGraphTraining: ConfigurableMethod {
    public static var configName: String { "vqgraph" }
    public static var configKeys: String {
        "lambda_node (default 0.001), lambda_edge (default 0.03), commitment (default 0.25), structure_sample (nodes per step, default 512)"
    }
    public static var needs: Set<MethodNeed> { [.noTeacher] }

    public static func build(from entry: any ConfigEntry, context: MethodContext) throws -> VQGraphTraining {
        guard context.student is VQGraphGCN else {
            throw entry.error("vqgraph trains a graph VQ-VAE: set the model to vqgraph-gcn")
        }
        return VQGraphTraining(lambdaNode: try entry.value("lambda_node", default: 0.001, in: 0...1000),
                               lambdaEdge: try entry.value("lambda_edge", default: 0.03, in: 0...1000),
                               commitmentWeight: try entry.value("commitment", default: 0.25, in: 0...1000),
                               structureSample: try entry.value("structure_sample", default: 512, in: 2...65536))
    }
}

/// VQGraph's token distillation (Yang et al., 2024): the student MLP's hidden feature,
/// mapped by a linear layer into the codebook's space, is softly assigned to the teacher's
/// codes by `softmax(−‖z − c_k‖ / τ)`, and learns the teacher's own assignment
/// `softmax(cos(h, c_k) / τ)` by `τ²·KL(teacher ‖ student)`, τ = 4. The codebook is the
/// trained teacher's, fixed. Combined with soft labels (`kd`) and labels (`ce`), as the
/// paper does.
public final class SoftTokenDistillation: LossTerm {
    public let studentPath: String
    /// The teacher's codes `[K, D]` (unit vectors).
    public let codebook: Tensor
    /// Student feature → code space.
    public let projection: Linear
    public let temperature: Float
    public var name: String { "vqgraph_tokens" }
    public var studentFeaturePaths: [String] { [studentPath] }
    public var trainableModules: [Module] { [projection] }

    public init(student: String, studentFeatures: Int, codebook: Tensor, temperature: Float = 4, using generator: inout RandomGenerator) {
        (studentPath, self.codebook, self.temperature) = (student, codebook.detached(), temperature)
        projection = Linear(studentFeatures, codebook.shape[1], using: &generator)
    }

    /// The student's token logits `−‖z − c_k‖` `[N, K]` for its features `[N, F]`.
    public func studentTokenLogits(_ features: Tensor) -> Tensor {
        let z = projection(features.flattened(startAxis: 1))
        let squared = z.pow(2).sum(axis: 1, keepDims: true) - matmul(z, codebook, transposeB: true) * 2
            + codebook.pow(2).sum(axis: 1).reshaped([1, codebook.shape[0]])
        return -maximum(squared, Tensor(1e-12)).sqrt()
    }

    public func callAsFunction(_ batch: DistillationBatch) -> Tensor {
        guard let features = batch.studentFeatures[studentPath], let tokens = batch.teacherOutputs?["tokens"] else {
            preconditionFailure("vqgraph_tokens needs the student's feature '\(studentPath)' and the teacher's tokens")
        }
        return distillationKLDivergence(studentLogits: studentTokenLogits(features), teacherLogits: tokens.detached(), temperature: temperature)
    }
}

extension SoftTokenDistillation: ConfigurableLossTerm {
    public static let configName = "vqgraph_tokens"
    public static let configKeys = "student (a module path of the student: its hidden feature), temperature (τ, default 4)"

    public static func build(from entry: any ConfigEntry, context: LossContext, using generator: inout RandomGenerator) throws -> Self {
        guard let model = (context.teacher as? ModelTeacher)?.model as? VQGraphGCN else {
            throw entry.error("vqgraph_tokens reads the teacher's codebook: the teacher must be a vqgraph-gcn model with a checkpoint (not cached or an ensemble)")
        }
        let studentEntry = try entry.required("student", "a module path of the student (its hidden feature)")
        let shape = try context.studentFeatureShape(at: studentEntry)
        return Self(student: try studentEntry.value(), studentFeatures: shape.dropFirst().reduce(1, *), codebook: model.vq.codebook,
                    temperature: try entry.positiveValue("temperature", default: 4), using: &generator)
    }
}
