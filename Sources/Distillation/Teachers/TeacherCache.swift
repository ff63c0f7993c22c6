import Datasets
import Foundation
import NN
import Tensors
import Training

/// A teacher's outputs computed once for a data set and written to safetensors, then served
/// in place of the teacher (`distill cache-teacher`): distilling from a big teacher costs its
/// forward passes once instead of every epoch.
///
/// Samples are found by content — a 64-bit FNV-1a hash of each input's values, continued
/// over the sample's fields (time, condition, mask) when the batch has any — so the cache
/// serves any subset, order or split of the data it was built on, the same input at another
/// time is another sample, and an input it has never seen (a randomly augmented one, say)
/// is an error rather than a silent mismatch. Data without fields hashes as it always has,
/// so caches written before fields existed still validate. A cache records fingerprints of
/// the teacher's weights and of the data; `validate` refuses a cache whose teacher or data
/// have changed since.
///
/// File layout: one tensor per cached output under its name (`logits` `[N, C]` for a
/// classifier), `sample_hash` `[N, 4]` (each hash as four 16-bit chunks, exact in F32),
/// metadata `outputs` (the names, comma-separated; `logits` when absent),
/// `teacher_fingerprint`, `data_fingerprint`, `samples`, `epochs`.
public struct TeacherCache: Teacher {
    /// The cached outputs, one row per sample.
    public let cachedOutputs: ModelOutputs
    public let teacherFingerprint: String
    public let dataFingerprint: String
    /// How many epochs of augmented batches the cache holds (0: the plain data set).
    public let epochs: Int
    public let source: String
    private let rows: [UInt64: Int]

    /// The number of cached samples.
    public var sampleCount: Int { cachedOutputs.primary.shape[0] }

    /// Runs `teacher` over every sample of `data` (or, with `loader`, over every batch of
    /// `epochs` epochs, augmentation included) and of `evaluation` (the validation data, so
    /// that agreement with the teacher can be measured from the cache too), and collects the
    /// outputs named in `outputs` (every output of the model when nil). The data
    /// fingerprint is `data`'s.
    public init<Data: Dataset>(
        teacher: Module, data: Data, loader: DataLoader<Data>? = nil, epochs: Int = 0, evaluation: (any Dataset)? = nil,
        outputs names: [String]? = nil, batchSize: Int = 256, source: String = "teacher cache"
    ) throws {
        teacher.eval()
        var hashes: [UInt64] = [], collected: [ModelOutputs] = []
        func add(_ batch: Batch) throws {
            hashes += Self.sampleHashes(batch)
            let outputs = try withoutGradients { try teacher.outputs(for: batch) }
            let kept = try (names ?? outputs.names).map { ($0, try outputs.required($0, of: "the teacher")) }
            collected.append(ModelOutputs(kept))
        }
        func addAll(_ part: any Dataset) throws {
            for start in stride(from: 0, to: part.count, by: batchSize) { try add(part.batch(at: Array(start..<min(start + batchSize, part.count)))) }
        }
        if let loader {
            precondition(epochs > 0, "TeacherCache: a per-epoch cache needs a positive number of epochs")
            for epoch in 0..<epochs { for batch in loader.batches(epoch: epoch) { try add(batch) } }
        } else {
            try addAll(data)
        }
        if let evaluation { try addAll(evaluation) }
        guard let first = collected.first else { throw DataError(source, "no samples to cache") }
        let all = ModelOutputs(first.names.indices.map { k in (first.names[k], concatenate(collected.map { $0.entries[k].tensor })) })
        (self.cachedOutputs, self.rows, self.epochs, self.source) = (all, Self.firstRows(of: hashes), epochs, source)
        teacherFingerprint = Self.fingerprint(of: teacher)
        dataFingerprint = try Self.fingerprint(of: data)
    }

    /// Reads a cache written by `save(to:)` (or, holding logits only, by earlier versions).
    public init(contentsOf url: URL) throws {
        let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
        let names = (metadata["outputs"] ?? ModelOutputs.logitsName).split(separator: ",").map(String.init)
        guard let chunks = tensors["sample_hash"], chunks.rank == 2, chunks.shape[1] == 4,
              let teacher = metadata["teacher_fingerprint"], let data = metadata["data_fingerprint"], !names.isEmpty
        else { throw DataError(url.path, "not a teacher cache (expected sample_hash [N, 4], the outputs, and fingerprints in the metadata)") }
        let samples = chunks.shape[0]
        let outputs = try names.map { name -> (String, Tensor) in
            guard let tensor = tensors[name], tensor.rank >= 1, tensor.shape[0] == samples else {
                throw DataError(url.path, "the cached output '\(name)' is missing or has no row per sample (expected [\(samples), …], found \(tensors[name]?.shape.description ?? "none"))")
            }
            return (name, tensor)
        }
        let values = chunks.integerScalars
        let hashes = (0..<samples).map { row in (0..<4).reduce(UInt64(0)) { $0 << 16 | UInt64(values[row * 4 + $1]) } }
        (self.cachedOutputs, self.rows, self.teacherFingerprint, self.dataFingerprint) = (ModelOutputs(outputs), Self.firstRows(of: hashes), teacher, data)
        (self.epochs, self.source) = (Int(metadata["epochs"] ?? "0") ?? 0, url.path)
    }

    /// Writes the cache (atomically).
    public func save(to url: URL) throws {
        var chunks = [Float](repeating: 0, count: sampleCount * 4)
        var hashes = [UInt64](repeating: 0, count: sampleCount)
        for (hash, row) in rows { hashes[row] = hash }
        for (row, hash) in hashes.enumerated() { for k in 0..<4 { chunks[row * 4 + k] = Float((hash >> (16 * UInt64(3 - k))) & 0xFFFF) } }
        var tensors = Dictionary(uniqueKeysWithValues: cachedOutputs.entries.map { ($0.name, $0.tensor) })
        tensors["sample_hash"] = Tensor(chunks, shape: [hashes.count, 4])
        try SafeTensors.write(
            tensors,
            metadata: ["outputs": cachedOutputs.names.joined(separator: ","), "teacher_fingerprint": teacherFingerprint,
                       "data_fingerprint": dataFingerprint, "samples": "\(sampleCount)", "epochs": "\(epochs)"],
            to: url)
    }

    /// Refuses a cache built from other weights or other data, saying which.
    public func validate<Data: Dataset>(teacher: Module, data: Data) throws {
        let teacherNow = Self.fingerprint(of: teacher)
        guard teacherNow == teacherFingerprint else {
            throw DataError(source, "stale teacher cache: built from teacher weights \(teacherFingerprint), the teacher now has \(teacherNow); rebuild it with `distill cache-teacher`")
        }
        let dataNow = try Self.fingerprint(of: data)
        guard dataNow == dataFingerprint else {
            throw DataError(source, "stale teacher cache: built for data \(dataFingerprint), the data is now \(dataNow); rebuild it with `distill cache-teacher`")
        }
    }

    public func outputs(for batch: Batch, featurePaths: [String]) throws -> TeacherOutputs {
        guard featurePaths.isEmpty else {
            throw DataError(source, "a teacher cache holds outputs only (\(cachedOutputs.names.joined(separator: ", "))); features \(featurePaths) need the teacher model itself")
        }
        let indices = try Self.sampleHashes(batch).enumerated().map { position, hash -> Int in
            guard let row = rows[hash] else {
                throw DataError(source, "sample \(position) of the batch is not in the teacher cache (\(epochs == 0 ? "random augmentation changes the inputs: build a per-epoch cache, or drop the augmentation" : "the cache holds \(epochs) epochs of augmented batches; training runs longer, or with another seed or batch size"))")
            }
            return row
        }
        return TeacherOutputs(outputs: cachedOutputs.map { $0.indexSelect(axis: 0, indices: indices) })
    }

    /// The first row of each hash (a sample seen again, in another epoch, has the same outputs).
    private static func firstRows(of hashes: [UInt64]) -> [UInt64: Int] {
        var rows: [UInt64: Int] = [:]
        for (row, hash) in hashes.enumerated() where rows[hash] == nil { rows[hash] = row }
        return rows
    }

    /// FNV-1a's start and one step of it.
    private static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    private static func fnv(_ hash: UInt64, _ word: UInt64) -> UInt64 { (hash ^ word) &* 0x0000_0100_0000_01B3 }
    private static func fnv(_ hash: UInt64, _ text: String) -> UInt64 { text.utf8.reduce(hash) { fnv($0, UInt64($1)) } }

    /// Each sample's hash: FNV-1a over the bit patterns of its input values, continued over
    /// each per-sample field's name and values (a batch without fields hashes its inputs only).
    static func sampleHashes(_ batch: Batch) -> [UInt64] {
        var hashes = sampleHashes(batch.inputs)
        for (name, field) in batch.sampleFields {
            for (i, fieldHash) in sampleHashes(field).enumerated() { hashes[i] = fnv(fnv(hashes[i], fnv(fnvOffset, name)), fieldHash) }
        }
        return hashes
    }

    /// FNV-1a over the bit patterns of each sample's values.
    static func sampleHashes(_ inputs: Tensor) -> [UInt64] {
        let n = inputs.shape[0], size = inputs.count / max(n, 1)
        return inputs.scalars.withUnsafeBufferPointer { values in
            (0..<n).map { i in values[(i * size)..<((i + 1) * size)].reduce(fnvOffset) { fnv($0, UInt64($1.bitPattern)) } }
        }
    }

    /// A fingerprint of a model's weights and buffers (names, shapes and values).
    public static func fingerprint(of model: Module) -> String {
        var hash = fnvOffset
        for (name, tensor) in model.stateDict().sorted(by: { $0.key < $1.key }) {
            hash = fnv(fnv(hash, name), sampleHashes(tensor.reshaped([1, -1]))[0])
        }
        return String(format: "%016llx", hash)
    }

    /// A fingerprint of a data set's samples (inputs and fields), in order, and of its graph
    /// and node features when it has them.
    public static func fingerprint<Data: Dataset>(of data: Data) throws -> String {
        var hash = fnvOffset
        var (graph, nodeFeatures): (SparseMatrix?, Tensor?) = (nil, nil)
        for start in stride(from: 0, to: data.count, by: 1024) {
            let batch = data.batch(at: Array(start..<min(start + 1024, data.count)))
            (graph, nodeFeatures) = (batch.graph, batch.nodeFeatures)
            hash = sampleHashes(batch).reduce(hash, fnv)
        }
        if let graph {
            hash = (graph.rowOffsets + graph.columns).reduce(hash) { fnv($0, UInt64(bitPattern: Int64($1))) }
            hash = graph.values.reduce(hash) { fnv($0, UInt64($1.bitPattern)) }
        }
        if let nodeFeatures { hash = fnv(hash, sampleHashes(nodeFeatures.reshaped([1, -1]))[0]) }
        return String(format: "%016llx-%d", hash, data.count)
    }
}
