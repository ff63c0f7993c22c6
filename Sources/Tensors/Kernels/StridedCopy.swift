/// Copies a `shape`-sized block from `source` (elements at `sourceStrides`) to
/// `destination` (elements at `destinationStrides`). Permute, broadcast (stride 0), slicing,
/// padding and concatenation are all this one loop with different strides and offsets.
func stridedCopy(
    shape: [Int],
    from source: UnsafePointer<Float>, sourceStrides: [Int],
    to destination: UnsafeMutablePointer<Float>, destinationStrides: [Int]
) {
    // Collapse axes that both sides traverse contiguously into one.
    var dims: [Int] = []
    var ss: [Int] = []
    var ds: [Int] = []
    for axis in shape.indices where shape[axis] != 1 {
        if let last = dims.last, ss.last! == sourceStrides[axis] * shape[axis],
            ds.last! == destinationStrides[axis] * shape[axis]
        {
            dims[dims.count - 1] = last * shape[axis]
            ss[ss.count - 1] = sourceStrides[axis]
            ds[ds.count - 1] = destinationStrides[axis]
        } else {
            dims.append(shape[axis])
            ss.append(sourceStrides[axis])
            ds.append(destinationStrides[axis])
        }
    }
    if shape.contains(0) { return }
    guard let n = dims.last else {
        destination[0] = source[0]
        return
    }
    let innerSource = ss.last!, innerDestination = ds.last!
    let outer = Array(dims.dropLast())
    let rows = outer.reduce(1, *)
    let grain = max(1, Parallelism.minimumElementsPerThread / max(n, 1))
    parallelFor(rows, grain: grain) { range in
        for row in range {
            var remainder = row
            var so = 0, doff = 0
            for axis in stride(from: outer.count - 1, through: 0, by: -1) {
                let index = remainder % outer[axis]
                remainder /= outer[axis]
                so += index * ss[axis]
                doff += index * ds[axis]
            }
            let s = source + so, d = destination + doff
            if innerSource == 1 && innerDestination == 1 {
                d.update(from: s, count: n)
            } else if innerSource == 0 && innerDestination == 1 {
                d.update(repeating: s[0], count: n)
            } else {
                for i in 0..<n { d[i * innerDestination] = s[i * innerSource] }
            }
        }
    }
}
