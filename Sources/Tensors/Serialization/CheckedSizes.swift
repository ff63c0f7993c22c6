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
