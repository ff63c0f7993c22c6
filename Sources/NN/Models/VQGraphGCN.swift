import Tensors

/// VQGraph's teacher (Yang et al., 2024), a graph VQ-VAE over a GCN: a graph convolution
/// embeds each node with its neighbourhood, a `VectorQuantizer` replaces the embedding by the
/// nearest of a codebook of structure-aware tokens, and the classifier (a second graph
/// convolution and a linear layer) reads the token through the edge decoder. Two decoders
/// reconstruct, from the tokens, the embedding (`nodeDecoder`) and the adjacency
/// (`edgeDecoder`, by inner products): the losses that make a token stand for a node's
/// local structure, computed by `reconstructionLosses`.
///
/// Its outputs are each node's `logits` and `tokens`, the cosine similarity of its embedding
/// to every code (`[nodes, K]`), which a student matches as a soft token assignment.
public final class VQGraphGCN: Module, TaskModel {
    public let convs: [GraphConvolution]
    public let vq: VectorQuantizer
    public let edgeDecoder: Linear
    public let nodeDecoder: Linear
    public let classifier: Linear
    public let dropout: Dropout
    private let propagation = GCNPropagation()

    public struct Outputs: NamedTensors {
        /// `[nodes, classes]`.
        public var logits: Tensor
        /// `[nodes, K]`: cosine similarity to each code.
        public var tokens: Tensor
        public var namedTensors: [(name: String, tensor: Tensor)] { [("logits", logits), ("tokens", tokens)] }
    }

    /// Everything one pass over the whole graph computes, for training.
    public struct Pass {
        /// Every node's class scores `[N, classes]`.
        public var logits: Tensor
        /// Every node's embedding before quantization `[N, D]`.
        public var embeddings: Tensor
        public var quantization: VectorQuantizer.Quantization
        /// The tokens decoded for the structure `[N, D]` (what the classifier reads).
        public var edgeEmbeddings: Tensor
        /// The tokens decoded back to the embeddings `[N, D]`.
        public var reconstructedEmbeddings: Tensor
    }

    /// `features → codeSize` (the graph convolution and the codes), `codeSize → hidden` (the
    /// second convolution), `hidden → classes`; `codebookSize` codes.
    ///
    /// The defaults: the reference code's dropout for a GCN teacher on Cora (0.8, here on the
    /// features and on the decoded tokens, as GCN places it), and dead codes restarted below
    /// a moving count of 2 (the reference library's default for its Euclidean codebook).
    /// Narrower than the reference's codes (its codes are as wide as the features, 1,433 on
    /// Cora, and 5,000 of them), which a CPU step could not afford.
    public init(features: Int, codeSize: Int = 64, hidden: Int = 64, classes: Int, codebookSize: Int = 512, dropout probability: Float = 0.8,
                deadCodeThreshold: Float = 2, using generator: inout RandomGenerator) {
        convs = [GraphConvolution(features, codeSize, using: &generator), GraphConvolution(codeSize, hidden, using: &generator)]
        vq = VectorQuantizer(dimension: codeSize, codebookSize: codebookSize, deadCodeThreshold: deadCodeThreshold, using: &generator)
        edgeDecoder = Linear(codeSize, codeSize, using: &generator)
        nodeDecoder = Linear(codeSize, codeSize, using: &generator)
        classifier = Linear(hidden, classes, using: &generator)
        dropout = Dropout(probability: probability, using: &generator)
        super.init()
    }

    /// One pass over every node of the graph.
    public func pass(_ inputs: GraphInputs) -> Pass {
        let propagation = propagation(inputs.adjacency)
        let embeddings = convs[0](dropout(inputs.features), propagation: propagation).relu()
        let quantization = vq.quantize(embeddings)
        let edgeEmbeddings = edgeDecoder(quantization.quantized)
        let logits = classifier(convs[1](dropout(edgeEmbeddings), propagation: propagation).relu())
        return Pass(logits: logits, embeddings: embeddings, quantization: quantization, edgeEmbeddings: edgeEmbeddings,
                    reconstructedEmbeddings: nodeDecoder(quantization.quantized))
    }

    public func forward(_ inputs: GraphInputs) -> Outputs {
        let pass = pass(inputs)
        return Outputs(logits: pass.logits.indexSelect(axis: 0, indices: inputs.nodes),
                       tokens: pass.quantization.similarities.indexSelect(axis: 0, indices: inputs.nodes))
    }

    /// VQGraph's reconstruction losses of a pass over `adjacency`: the embeddings'
    /// `mean((h − decode_node(token))²)`, and the structure's
    /// `sqrt(mean((A − minmax(E·Eᵀ))²))`, `E` the edge-decoded tokens and `minmax` the
    /// scaling of the whole matrix to [0, 1], as the reference code computes them, over the
    /// dense block of the adjacency among `structureNodes` (every node when nil: `N × N`).
    public func reconstructionLosses(_ pass: Pass, adjacency: SparseMatrix, structureNodes: [Int]? = nil) -> (embeddings: Tensor, structure: Tensor) {
        let embeddingLoss = meanSquaredError(pass.reconstructedEmbeddings, pass.embeddings)
        let nodes = structureNodes ?? Array(0..<adjacency.rowCount)
        let decoded = structureNodes == nil ? pass.edgeEmbeddings : pass.edgeEmbeddings.indexSelect(axis: 0, indices: nodes)
        let products = matmul(decoded, decoded, transposeB: true)
        let (low, high) = (products.min(), products.max())
        let scaled = (products - low) / maximum(high - low, Tensor(1e-12))
        let structureLoss = meanSquaredError(scaled, Self.denseBlock(of: adjacency, among: nodes)).sqrt()
        return (embeddingLoss, structureLoss)
    }

    /// `adjacency`'s rows and columns `nodes`, dense `[n, n]`.
    static func denseBlock(of adjacency: SparseMatrix, among nodes: [Int]) -> Tensor {
        var position = [Int](repeating: -1, count: adjacency.columnCount)
        for (index, node) in nodes.enumerated() { position[node] = index }
        let count = nodes.count
        return Tensor(shape: [count, count]) { block in
            for i in block.indices { block[i] = 0 }
            for (row, node) in nodes.enumerated() {
                for entry in adjacency.rowOffsets[node]..<adjacency.rowOffsets[node + 1] where position[adjacency.columns[entry]] >= 0 {
                    block[row * count + position[adjacency.columns[entry]]] = adjacency.values[entry]
                }
            }
        }
    }
}

extension VQGraphGCN: ConfigurableModel {
    /// Node features `[F]` of a graph data set (`cora`, `citeseer`).
    public static var modelNames: [String] { ["vqgraph-gcn"] }
    public static var configKeys: String {
        "code_size (default 64), hidden (default 64), codebook_size (default 512), dropout (default 0.8), dead_code_threshold (default 2)"
    }
    public static func build(_ request: ModelRequest, using generator: inout RandomGenerator) throws -> Module? {
        guard request.name == "vqgraph-gcn" else { return nil }
        let section = request.section
        try requireNodeFeatures(request)
        let codeSize: Int = try section.value("code_size", default: 64, in: 1...4096)
        let hidden: Int = try section.value("hidden", default: 64, in: 1...4096)
        let codebookSize: Int = try section.value("codebook_size", default: 512, in: 1...65536)
        let dropout: Float = try section.value("dropout", default: 0.8, in: 0..<1)
        let deadCodeThreshold: Float = try section.value("dead_code_threshold", default: 2, in: 0...1e6)
        let features = request.inputShape[0]
        try request.requireMemory(
            forParameterShapes: [[codeSize, features], [hidden, codeSize], [codebookSize, codeSize], [codeSize, codeSize], [codeSize, codeSize],
                                 [request.classes, hidden]],
            activationShapes: [[2, codebookSize], [2, 2]])
        return VQGraphGCN(features: features, codeSize: codeSize, hidden: hidden, classes: request.classes, codebookSize: codebookSize,
                          dropout: dropout, deadCodeThreshold: deadCodeThreshold, using: &generator)
    }
}
