import NN
import Tensors

/// Updates a model's trainable parameters from their gradients (keyed by path, as
/// `Module.valueAndGradients` returns them). Optimizers keep per-parameter state by path,
/// which `stateDict()`/`loadStateDict(_:)` save and restore for exact resumption.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (schedules set it).
    var learningRate: Float { get set }
    /// The number of steps taken.
    var step: Int { get }
    /// Applies one step.
    func update(_ model: Module, gradients: [String: Tensor])
    /// The optimizer's state (per-parameter buffers and the step count).
    func stateDict() -> [String: Tensor]
    /// Restores a state saved by `stateDict()`.
    func loadStateDict(_ state: [String: Tensor]) throws
    /// A new optimizer of the same kind and settings, with no state (for a second module
    /// that should train as the first does, with buffers of its own).
    func freshCopy() -> Optimizer
}

/// The per-parameter buffers every optimizer keeps (the same named buffers for each
/// parameter), with the step count; saved as `"<path>/<buffer>"` plus `"step"`, as
/// PyTorch names them.
struct OptimizerState {
    /// The buffers each parameter gets, in order.
    let bufferNames: [String]
    /// Per parameter path, its buffers in `bufferNames` order. One entry per parameter, so
    /// a step finds its buffers with one lookup of the path it already has.
    private var buffers: [String: [Tensor]] = [:]
    var step = 0

    init(bufferNames: [String]) { self.bufferNames = bufferNames }

    func saved() -> [String: Tensor] {
        var state = ["step": Tensor(Float(step))]
        for (path, tensors) in buffers {
            for (name, tensor) in zip(bufferNames, tensors) { state["\(path)/\(name)"] = tensor }
        }
        return state
    }

    mutating func load(_ state: [String: Tensor]) throws {
        guard let step = state["step"] else { throw StateDictError(source: "optimizer state", problems: ["missing step"]) }
        var loaded: [String: [String: Tensor]] = [:]
        var unexpected: [String] = [], problems: [String] = []
        for (key, tensor) in state where key != "step" {
            guard let slash = key.lastIndex(of: "/"), bufferNames.contains(String(key[key.index(after: slash)...])) else {
                unexpected.append(key)
                continue
            }
            loaded[String(key[..<slash]), default: [:]][String(key[key.index(after: slash)...])] = tensor
        }
        if !unexpected.isEmpty {
            problems.append("unexpected keys \(unexpected.sorted().joined(separator: ", ")) (this optimizer keeps \(bufferNames.map { "<path>/\($0)" }.joined(separator: ", ")))")
        }
        var buffers: [String: [Tensor]] = [:]
        for (path, named) in loaded.sorted(by: { $0.key < $1.key }) {
            let missing = bufferNames.filter { named[$0] == nil }
            if !missing.isEmpty { problems.append("\(path) lacks \(missing.joined(separator: ", "))") }
            buffers[path] = bufferNames.compactMap { named[$0] }
        }
        guard problems.isEmpty else { throw StateDictError(source: "optimizer state", problems: problems) }
        (self.step, self.buffers) = (Int(step.item), buffers)
    }

    /// Runs `body` with mutable pointers to the buffers of `path` (created as zeros of
    /// `count` elements on first use) and whether they were just created.
    mutating func withBuffers(
        _ path: String, count: Int,
        _ body: (_ buffers: [UnsafeMutablePointer<Float>], _ fresh: Bool) -> Void
    ) {
        let fresh = buffers[path] == nil
        if fresh { buffers[path] = bufferNames.map { _ in Tensor.zeros([count]) } }
        // Mutated in place through the dictionary, so each buffer stays uniquely referenced
        // (a buffer still shared with a saved state is copied first).
        buffers[path]!.withUnsafeMutableBufferPointer { tensors in
            let pointers = tensors.indices.map { i in tensors[i].withUnsafeMutableBufferPointer { $0.baseAddress! } }
            body(pointers, fresh)
        }
    }
}

/// `x`, or 0 where it is subnormal. An optimizer's running averages for a weight whose
/// gradient stays zero (a dead unit) decay geometrically into subnormal numbers, where each
/// multiply costs about a hundred cycles; flushed, the step they would have made — far below
/// the weight's own precision — is simply not made.
@inline(__always)
func flushingSubnormal(_ x: SIMD8<Float>) -> SIMD8<Float> {
    x.replacing(with: 0, where: (x .< .leastNormalMagnitude) .& (x .> -.leastNormalMagnitude))
}

/// The square root of each lane, in two vector instructions (`sqrtps` on x86-64). Swift's
/// own `squareRoot()` on SIMD values takes eight scalar ones, each with a libm fallback
/// for `errno`.
///
/// This calls LLVM's target-independent intrinsic directly. A C function (`static inline`,
/// even `always_inline`, and the SSE intrinsic `_mm_sqrt_ps` alike) was called, not
/// inlined, from the shared optimizer loop: the Swift compiler marks those call sites
/// `noinline`, and each Adam block paid two calls with the vector registers spilled
/// around them. An intrinsic is lowered, never called.
@inline(__always)
func squareRoot(_ x: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(lowHalf: llvmSquareRoot(x.lowHalf), highHalf: llvmSquareRoot(x.highHalf))
}

/// `llvm.sqrt.v4f32`: `SIMD4<Float>` is passed as LLVM's `<4 x float>`, the intrinsic's type.
@_silgen_name("llvm.sqrt.v4f32")
private func llvmSquareRoot(_ x: SIMD4<Float>) -> SIMD4<Float>

/// Up to eight consecutive floats of the arrays an optimizer step updates, loaded and
/// stored as one `SIMD8`. The update loops write several arrays in place, which the
/// compiler does not vectorise by itself, and a scalar Adam step — two divisions and a
/// square root per weight — was a fifth of an MLP's training step. A block at the end of a
/// range may be shorter: then only its `count` floats are read and written, and the other
/// lanes hold zeros.
struct LaneBlock {
    let start: Int
    let count: Int

    @inline(__always)
    func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load(UnsafePointer(pointer)) }

    @inline(__always)
    func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        count == 8 ? UnsafeRawPointer(pointer + start).loadUnaligned(as: SIMD8<Float>.self) : loadPartial(pointer)
    }

    @inline(__always)
    func store(_ lanes: SIMD8<Float>, to pointer: UnsafeMutablePointer<Float>) {
        if count == 8 {
            UnsafeMutableRawPointer(pointer + start).storeBytes(of: lanes, as: SIMD8<Float>.self)
        } else {
            storePartial(lanes, to: pointer)
        }
    }

    // The lane-by-lane paths stay out of line: inlined, they lead the compiler to split
    // the whole block's arithmetic into scalar lanes.
    @inline(never)
    private func loadPartial(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        var lanes = SIMD8<Float>()
        for j in 0..<count { lanes[j] = pointer[start + j] }
        return lanes
    }

    @inline(never)
    private func storePartial(_ lanes: SIMD8<Float>, to pointer: UnsafeMutablePointer<Float>) {
        for j in 0..<count { pointer[start + j] = lanes[j] }
    }
}

/// The `LaneBlock`s covering a range, in order.
struct LaneBlocks: Sequence, IteratorProtocol {
    private var start: Int
    private let end: Int

    init(_ range: Range<Int>) { (start, end) = (range.lowerBound, range.upperBound) }

    @inline(__always)
    mutating func next() -> LaneBlock? {
        guard start < end else { return nil }
        let block = LaneBlock(start: start, count: Swift.min(8, end - start))
        start += block.count
        return block
    }
}
