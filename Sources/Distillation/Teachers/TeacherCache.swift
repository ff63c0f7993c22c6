import Datasets
import Foundation
import NN
import Tensors
import Training

/// A teacher's logits computed once for a data set and written to safetensors, then served in
/// place of the teacher (`distill cache-teacher`): distilling from a big teacher costs its
/// forward passes once instead of every epoch.
///
/// Samples are found by content — a 64-bit FNV-1a hash of each input's values — so the cache
/// serves any subset, order or split of the data it was built on, and an input it has never
/// seen (a randomly augmented one, say) is an error rather than a silent mismatch. A cache
/// records fingerprints of the teacher's weights and of the data; `validate` refuses a cache
/// whose teacher or data have changed since.
///
/// File layout: `logits` `[N, C]`, `sample_hash` `[N, 4]` (each hash as four 16-bit chunks,
/// exact in F32), metadata `teacher_fingerprint`, `data_fingerprint`, `samples`, `epochs`.
public struct TeacherCache: Teacher {
    public let logits: Tensor
    public let teacherFingerprint: String
    public let dataFingerprint: String
    /// How many epochs of augmented batches the cache holds (0: the plain data set).
    public let epochs: Int
    public let source: String
    private let rows: [UInt64: Int]

    /// Runs `teacher` over every sample of `data` (or, with `loader`, over every batch of
    /// `epochs` epochs, augmentation included) and of `evaluation` (the validation data, so
    /// that agreement with the teacher can be measured from the cache too), and collects its
    /// logits. The data fingerprint is `data`'s.
    public init<Data: Dataset>(
        teacher: Module, data: Data, loader: DataLoader<Data>? = nil, epochs: Int = 0, evaluation: (any Dataset)? = nil,
        batchSize: Int = 256, source: String = "teacher cache"
    ) throws {
        teacher.eval()
        var hashes: [UInt64] = [], logits: [Tensor] = []
        func add(_ inputs: Tensor) {
            hashes += Self.sampleHashes(inputs)
            logits.append(withoutGradients { teacher(inputs) })
        }
        func addAll(_ part: any Dataset) {
            for start in stride(from: 0, to: part.count, by: batchSize) { add(part.batch(at: Array(start..<min(start + batchSize, part.count))).inputs) }
        }
        if let loader {
            precondition(epochs > 0, "TeacherCache: a per-epoch cache needs a positive number of epochs")
            for epoch in 0..<epochs { for batch in loader.batches(epoch: epoch) { add(batch.inputs) } }
        } else {
            addAll(data)
        }
        if let evaluation { addAll(evaluation) }
        let all = concatenate(logits)
        var rows: [UInt64: Int] = [:]
        for (row, hash) in hashes.enumerated() where rows[hash] == nil { rows[hash] = row }
        (self.logits, self.rows, self.epochs, self.source) = (all, rows, epochs, source)
        teacherFingerprint = Self.fingerprint(of: teacher)
        dataFingerprint = try Self.fingerprint(of: data)
    }

    /// Reads a cache written by `save(to:)`.
    public init(contentsOf url: URL) throws {
        let (tensors, metadata) = try SafeTensors.read(contentsOf: url)
        guard let logits = tensors["logits"], let chunks = tensors["sample_hash"], logits.rank == 2, chunks.shape == [logits.shape[0], 4],
              let teacher = metadata["teacher_fingerprint"], let data = metadata["data_fingerprint"]
        else { throw DataError(url.path, "not a teacher cache (expected logits [N, C], sample_hash [N, 4] and fingerprints in the metadata)") }
        let values = chunks.integerScalars
        var rows: [UInt64: Int] = [:]
        for row in 0..<logits.shape[0] {
            let hash = (0..<4).reduce(UInt64(0)) { $0 << 16 | UInt64(values[row * 4 + $1]) }
            if rows[hash] == nil { rows[hash] = row }
        }
        (self.logits, self.rows, self.teacherFingerprint, self.dataFingerprint) = (logits, rows, teacher, data)
        (self.epochs, self.source) = (Int(metadata["epochs"] ?? "0") ?? 0, url.path)
    }

    /// Writes the cache (atomically).
    public func save(to url: URL) throws {
        var chunks = [Float](repeating: 0, count: rows.count * 4)
        var hashes = [UInt64](repeating: 0, count: logits.shape[0])
        for (hash, row) in rows { hashes[row] = hash }
        for (row, hash) in hashes.enumerated() { for k in 0..<4 { chunks[row * 4 + k] = Float((hash >> (16 * UInt64(3 - k))) & 0xFFFF) } }
        try SafeTensors.write(
            ["logits": logits, "sample_hash": Tensor(chunks, shape: [hashes.count, 4])],
            metadata: ["teacher_fingerprint": teacherFingerprint, "data_fingerprint": dataFingerprint, "samples": "\(logits.shape[0])", "epochs": "\(epochs)"],
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

    public func outputs(for inputs: Tensor, featurePaths: [String]) throws -> (logits: Tensor, features: [String: Tensor]) {
        guard featurePaths.isEmpty else {
            throw DataError(source, "a teacher cache holds logits only; features \(featurePaths) need the teacher model itself")
        }
        let indices = try Self.sampleHashes(inputs).enumerated().map { position, hash -> Int in
            guard let row = rows[hash] else {
                throw DataError(source, "sample \(position) of the batch is not in the teacher cache (\(epochs == 0 ? "random augmentation changes the inputs: build a per-epoch cache, or drop the augmentation" : "the cache holds \(epochs) epochs of augmented batches; training runs longer, or with another seed or batch size"))")
            }
            return row
        }
        return (logits.indexSelect(axis: 0, indices: indices), [:])
    }

    /// FNV-1a over the bit patterns of each sample's values.
    static func sampleHashes(_ inputs: Tensor) -> [UInt64] {
        let n = inputs.shape[0], size = inputs.count / max(n, 1)
        return inputs.scalars.withUnsafeBufferPointer { values in
            (0..<n).map { i in
                var hash: UInt64 = 0xCBF2_9CE4_8422_2325
                for value in values[(i * size)..<((i + 1) * size)] {
                    hash = (hash ^ UInt64(value.bitPattern)) &* 0x0000_0100_0000_01B3
                }
                return hash
            }
        }
    }

    /// A fingerprint of a model's weights and buffers (names, shapes and values).
    public static func fingerprint(of model: Module) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for (name, tensor) in model.stateDict().sorted(by: { $0.key < $1.key }) {
            for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            hash = (hash ^ sampleHashes(tensor.reshaped([1, -1]))[0]) &* 0x0000_0100_0000_01B3
        }
        return String(format: "%016llx", hash)
    }

    /// A fingerprint of a data set's inputs, in order.
    public static func fingerprint<Data: Dataset>(of data: Data) throws -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for start in stride(from: 0, to: data.count, by: 1024) {
            for sample in sampleHashes(data.batch(at: Array(start..<min(start + 1024, data.count))).inputs) {
                hash = (hash ^ sample) &* 0x0000_0100_0000_01B3
            }
        }
        return String(format: "%016llx-%d", hash, data.count)
    }
}
