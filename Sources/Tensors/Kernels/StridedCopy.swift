/// Copies a `shape`-sized block from `source` (elements at `sourceStrides`) to
/// `destination` (elements at `destinationStrides`). Permute, broadcast (stride 0), slicing,
/// padding and concatenation are all this one loop with different strides and offsets.
func stridedCopy(
    shape: [Int],
    from source: UnsafePointer<Float>, sourceStrides: [Int],
    to destination: UnsafeMutablePointer<Float>, destinationStrides: [Int]
) {
    let layout = PairedLayout(shape: shape, strides: sourceStrides, destinationStrides)
    let n = layout.rowLength
    let (sourceStep, destinationStep) = layout.innerStep
    parallelFor(layout.rowCount, grain: layout.rowGrain) { rows in
        for row in rows {
            let (sourceOffset, destinationOffset) = layout.offsets(ofRow: row)
            let s = source + sourceOffset, d = destination + destinationOffset
            if sourceStep == 1 && destinationStep == 1 {
                d.update(from: s, count: n)
            } else if sourceStep == 0 && destinationStep == 1 {
                d.update(repeating: s[0], count: n)
            } else {
                for i in 0..<n { d[i * destinationStep] = s[i * sourceStep] }
            }
        }
    }
}
