import Tensors

/// A vector quantizer with a cosine-similarity codebook learned by exponential moving
/// averages (VQ-VAE's EMA variant; the `use_cosine_sim` codebook of lucidrains'
/// `vector-quantize-pytorch`, which VQGraph's teacher uses).
///
/// Each input row `x` is matched to the code `k` whose direction is nearest,
/// `argmax_k ⟨x/‖x‖, e_k/‖e_k‖⟩`, and replaced by `e_k`; gradients pass straight through to
/// `x` (`x + sg(e_k − x)`), and the commitment loss `mean((x − sg(e_k))²)` pulls `x` toward
/// its code. In training, each used code moves toward the normalised mean of the rows it
/// won: `e ← decay·e + (1 − decay)·normalise(mean x/‖x‖)`. A code whose moving count of
/// rows falls below `deadCodeThreshold` is dead and restarts at the direction of a random
/// row of the batch (the reference library's `threshold_ema_dead_code`); since the counts
/// start at zero, the first training batch seeds the whole codebook from the data. Buffers
/// `embed` `[K, D]` and `cluster_size` `[K]` (the moving count of rows per code).
public final class VectorQuantizer: Module {
    @Buffer public var embed: Tensor
    @Buffer public var clusterSize: Tensor
    public let decay: Float
    public let deadCodeThreshold: Float
    private var generator: RandomGenerator

    /// What quantizing a batch of rows gives.
    public struct Quantization {
        /// The codes, with gradients passed straight through to the input `[N, D]`.
        public var quantized: Tensor
        /// Each row's code.
        public var codes: [Int]
        /// Each row's cosine similarity to every code `[N, K]`: VQGraph's soft token assignment
        /// (before its temperature).
        public var similarities: Tensor
        /// `mean((x − sg(code))²)`.
        public var commitment: Tensor
    }

    /// `codebookSize` codes of `dimension`, started as unit vectors in random directions
    /// (Kaiming-uniform rows, normalised, as the reference code does).
    public init(dimension: Int, codebookSize: Int, decay: Float = 0.8, deadCodeThreshold: Float = 0, using generator: inout RandomGenerator) {
        precondition(dimension > 0 && codebookSize > 0 && (0..<1).contains(decay) && deadCodeThreshold >= 0,
                     "VectorQuantizer: positive sizes, decay in [0, 1), a threshold ≥ 0")
        self.deadCodeThreshold = deadCodeThreshold
        self.generator = generator.split()
        let bound = Float(6.0 / Double(dimension)).squareRoot()
        _embed = Buffer(Self.rowsNormalized(Tensor.uniform([codebookSize, dimension], low: -bound, high: bound, using: &generator)), key: "embed")
        _clusterSize = Buffer(Tensor.zeros([codebookSize]), key: "cluster_size")
        self.decay = decay
        super.init()
    }

    public override var randomState: [UInt64]? {
        get { generator.state }
        set { if let newValue { generator = RandomGenerator(state: newValue) } }
    }

    /// The codebook's unit vectors `[K, D]`, against which rows are compared.
    public var codebook: Tensor { Self.rowsNormalized(embed) }

    /// The codes of `input` `[N, D]`, passed straight through.
    public override func forward(_ input: Tensor) -> Tensor { quantize(input).quantized }

    /// Quantizes `input` `[N, D]` (and, in training, moves the codes that won rows).
    public func quantize(_ input: Tensor) -> Quantization {
        precondition(input.rank == 2 && input.shape[1] == embed.shape[1], "VectorQuantizer: input \(input.shape) is not [N, \(embed.shape[1])]")
        let directions = Self.rowsNormalized(input)
        let similarities = matmul(directions, codebook, transposeB: true)
        let codes = similarities.detached().argmax(axis: 1).scalars.map { Int($0) }
        let chosen = embed.indexSelect(axis: 0, indices: codes)
        if isTraining { withoutGradients { update(toward: directions.detached(), codes: codes) } }
        let commitment = (input - chosen).pow(2).mean()
        return Quantization(quantized: input + (chosen - input).detached(), codes: codes, similarities: similarities, commitment: commitment)
    }

    /// The EMA step: each code that won rows moves toward their normalised mean direction.
    private func update(toward directions: Tensor, codes: [Int]) {
        let (size, dimension) = (embed.shape[0], embed.shape[1])
        var counts = [Float](repeating: 0, count: size)
        var sums = [Float](repeating: 0, count: size * dimension)
        directions.withUnsafeBufferPointer { rows in
            for (row, code) in codes.enumerated() {
                counts[code] += 1
                for d in 0..<dimension { sums[code * dimension + d] += rows[row * dimension + d] }
            }
        }
        var updated = embed
        updated.withUnsafeMutableBufferPointer { codebook in
            for code in 0..<size where counts[code] > 0 {
                let mean = (0..<dimension).map { sums[code * dimension + $0] }
                let length = Swift.max(mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
                for d in 0..<dimension {
                    codebook[code * dimension + d] = decay * codebook[code * dimension + d] + (1 - decay) * mean[d] / length
                }
            }
        }
        clusterSize = clusterSize * decay + Tensor(counts, shape: [size]) * (1 - decay)
        if deadCodeThreshold > 0 {
            let sizes = clusterSize.scalars
            let dead = sizes.indices.filter { sizes[$0] < deadCodeThreshold }
            let rows = codes.count
            directions.withUnsafeBufferPointer { directions in
                updated.withUnsafeMutableBufferPointer { codebook in
                    for code in dead {
                        let row = Int(generator.next() % UInt64(rows))
                        for d in 0..<dimension { codebook[code * dimension + d] = directions[row * dimension + d] }
                    }
                }
            }
        }
        embed = updated
    }

    /// Each row divided by its length (rows of zeros stay zero).
    static func rowsNormalized(_ rows: Tensor) -> Tensor {
        rows / maximum(rows.norm(.l2, axes: [1], keepDims: true), Tensor(1e-12))
    }
}
