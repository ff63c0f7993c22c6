/// An n-dimensional array of `Float` values in contiguous row-major order, with
/// reverse-mode automatic differentiation.
///
/// `Tensor` is a value type: operations return new tensors, and copies share storage until
/// one of them is mutated. A tensor that requires a gradient (`requiringGradient()`, or the
/// result of an operation on one while recording is on) remembers how it was computed, so
/// that `gradients(of:wrt:)` can differentiate through it.
///
/// ```swift
/// var rng = RandomGenerator(seed: 0)
/// let w = Tensor.normal([3, 2], using: &rng).requiringGradient()
/// let x = Tensor([1, 2, 3], shape: [1, 3])
/// let loss = matmul(x, w).relu().sum()
/// let (dw) = gradients(of: loss, wrt: [w])[0]
/// ```
public struct Tensor {
    /// The size of each axis; `[]` for a scalar.
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage
    @usableFromInline var gradientNode: GradientNode?

    @usableFromInline
    init(shape: [Int], storage: TensorStorage, gradientNode: GradientNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.gradientNode = gradientNode
    }

    /// A tensor of the given shape whose values are undefined until written (engine use).
    @usableFromInline
    init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage.uninitialized(count: shape.elementCount))
    }

    /// Creates a tensor of `shape` and lets `initializer` write every element.
    public init(
        shape: [Int],
        unsafeUninitializedBufferInitializer initializer: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) rethrows {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.init(uninitialized: shape)
        try initializer(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// A tensor holding `scalars` in row-major order.
    public init(_ scalars: [Float], shape: [Int]) {
        precondition(
            shape.allSatisfy { $0 >= 0 } && shape.elementCount == scalars.count,
            "Tensor: \(scalars.count) scalars do not fill shape \(shape)")
        self.init(uninitialized: shape)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: scalars.count) }
    }

    /// A one-dimensional tensor.
    public init(_ scalars: [Float]) {
        self.init(scalars, shape: [scalars.count])
    }

    /// A scalar (rank-0) tensor.
    public init(_ scalar: Float) {
        self.init(shape: [], repeating: scalar)
    }

    /// A tensor of `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.init(uninitialized: shape)
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
    }

    /// The value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, expected 1")
        return storage.pointer[0]
    }

    /// The element at a multi-dimensional index.
    public subscript(element index: [Int]) -> Float {
        precondition(index.count == rank, "subscript: index \(index) has \(index.count) axes, tensor has shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "subscript: index \(index) is out of bounds for shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return storage.pointer[offset]
    }

    /// Calls `body` with the elements in row-major order.
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
        }
    }

    /// Calls `body` with mutable access to the elements, copying the storage first if
    /// another tensor shares it. For optimizer updates and buffers: the mutation is not
    /// recorded for differentiation.
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> Result
    ) rethrows -> Result {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
        }
    }

    /// Replaces the values in place with those of `other` (same shape), keeping this
    /// tensor's identity for differentiation. For optimizer updates and running statistics.
    public mutating func assign(_ other: Tensor) {
        precondition(other.shape == shape, "assign: shape \(other.shape) does not match \(shape)")
        let source = other.storage
        withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: source.pointer, count: source.count) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars.prefix(64).map { String($0) }.joined(separator: ", ")
        let more = count > 64 ? ", … (\(count) elements)" : ""
        let gradient = requiresGradient ? ", requiresGradient" : ""
        return "Tensor(shape: \(shape), [\(values)\(more)]\(gradient))"
    }
}

extension Array where Element == Int {
    /// The number of elements in a tensor of this shape.
    @inlinable
    var elementCount: Int { reduce(1, *) }
}
