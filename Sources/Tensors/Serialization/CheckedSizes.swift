/// Sizes read from a file are hostile until checked: a shape of `[2³², 2³²]` overflows `Int`
/// when multiplied, and wrapped arithmetic would pass a length check and crash on access.

/// The number of bytes an array of `shape` takes at `elementSize` bytes an element, or nil
/// when a dimension is negative or the product does not fit in an `Int`.
public func checkedByteCount(shape: [Int], elementSize: Int) -> Int? {
    var total = elementSize
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        total = product
    }
    return total
}

/// The total number of elements of arrays of `shapes` (a model's parameters, say), or nil
/// when a dimension is negative or the total does not fit in an `Int`.
public func checkedElementCount(ofShapes shapes: [[Int]]) -> Int? {
    var total = 0
    for shape in shapes {
        guard let count = checkedByteCount(shape: shape, elementSize: 1) else { return nil }
        let (sum, overflow) = total.addingReportingOverflow(count)
        if overflow { return nil }
        total = sum
    }
    return total
}
