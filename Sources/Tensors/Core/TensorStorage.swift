import Foundation

/// Where a storage's elements live and how many there are.
@usableFromInline
struct StorageHeader {
    @usableFromInline var pointer: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int
    /// The capacity of a pooled out-of-line buffer; 0 when the elements are inline.
    let pooledCapacity: Int
}

/// The reference-counted Float32 buffer behind one or more tensors.
///
/// Tensors share storage copy-on-write: `reshape` and copies of a `Tensor` value point at
/// the same storage, and a mutation through `withUnsafeMutableBufferPointer` copies first
/// unless the storage is uniquely referenced. Small buffers live inline, after the header
/// in the same allocation (per-op overhead is dominated by allocations); large ones come
/// from the `BufferPool`, 64-byte aligned.
@usableFromInline
final class TensorStorage: ManagedBuffer<StorageHeader, Float> {
    /// Storage whose contents are undefined until written.
    @usableFromInline
    static func uninitialized(count: Int) -> TensorStorage {
        if count < BufferPool.minimumPooledCount {
            let buffer = TensorStorage.create(minimumCapacity: count) { _ in
                StorageHeader(pointer: UnsafeMutablePointer(bitPattern: 0x40)!, count: count, pooledCapacity: 0)
            }
            let storage = unsafeDowncast(buffer, to: TensorStorage.self)
            storage.header.pointer = storage.withUnsafeMutablePointerToElements { $0 }
            return storage
        }
        let (pointer, capacity) = BufferPool.shared.acquire(count: count)
        let buffer = TensorStorage.create(minimumCapacity: 0) { _ in
            StorageHeader(pointer: pointer, count: count, pooledCapacity: capacity)
        }
        return unsafeDowncast(buffer, to: TensorStorage.self)
    }

    @usableFromInline var pointer: UnsafeMutablePointer<Float> { header.pointer }
    @usableFromInline var count: Int { header.count }

    /// A new storage holding the same values.
    func copy() -> TensorStorage {
        let copy = TensorStorage.uninitialized(count: count)
        copy.pointer.update(from: pointer, count: count)
        return copy
    }

    deinit {
        if header.pooledCapacity > 0 { BufferPool.shared.release(header.pointer, capacity: header.pooledCapacity) }
    }
}

/// Recycles large buffers so that a training step, which allocates the same sizes every
/// time, reuses memory that is already mapped instead of page-faulting fresh memory.
///
/// Buffers under `minimumPooledCount` floats live inline in their storage object. Larger
/// requests are rounded up to a size class (four classes per doubling, so at
/// most 25% is wasted) and kept on a free list per class, up to `maximumCachedBytes`.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    private static let alignment = 64
    static let minimumPooledCount = 4096
    private let maximumCachedBytes = 1 << 30
    private var freeLists: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()

    func acquire(count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) {
        let capacity = sizeClass(for: max(count, 1))
        do {
            lock.lock()
            if let pointer = freeLists[capacity]?.popLast() {
                cachedBytes -= capacity * MemoryLayout<Float>.stride
                lock.unlock()
                return (pointer, capacity)
            }
            lock.unlock()
        }
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: capacity * MemoryLayout<Float>.stride, alignment: Self.alignment)
        return (raw.bindMemory(to: Float.self, capacity: capacity), capacity)
    }

    func release(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        do {
            let bytes = capacity * MemoryLayout<Float>.stride
            lock.lock()
            if cachedBytes + bytes <= maximumCachedBytes {
                freeLists[capacity, default: []].append(pointer)
                cachedBytes += bytes
                lock.unlock()
                return
            }
            lock.unlock()
        }
        UnsafeMutableRawPointer(pointer).deallocate()
    }

    /// Frees every cached buffer (for tests that measure resident memory, and for users
    /// who finish one large job and start a different one).
    func drain() {
        lock.lock()
        let lists = freeLists
        freeLists = [:]
        cachedBytes = 0
        lock.unlock()
        for pointer in lists.values.joined() { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    /// Bytes currently held on the free lists.
    var bytesCached: Int {
        lock.lock(); defer { lock.unlock() }
        return cachedBytes
    }

    private func sizeClass(for count: Int) -> Int {
        guard count >= Self.minimumPooledCount else { return count }
        let highBit = Int.bitWidth - 1 - count.leadingZeroBitCount
        let step = 1 << (highBit - 2)
        return (count + step - 1) / step * step
    }
}
