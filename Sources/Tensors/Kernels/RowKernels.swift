import Foundation

/// Writes `log_softmax(x / temperature)` of one lane of `count` elements spaced `stride`
/// apart, and returns the lane's log-sum-exp of `x / temperature` (stable: the maximum is
/// subtracted first).
@inline(__always)
func logSoftmaxLane(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, stride: Int, inverseTemperature: Float
) -> Float {
    var maximum = -Float.infinity
    for j in 0..<count { maximum = Swift.max(maximum, x[j * stride]) }
    if !maximum.isFinite { maximum = 0 }
    // Shift before scaling and subtract the maximum and the log-sum separately: at logits
    // of 1e4 their sum would round away the log-sum's digits.
    var total: Float = 0
    for j in 0..<count { total += Foundation.exp((x[j * stride] - maximum) * inverseTemperature) }
    let logTotal = Foundation.log(total)
    for j in 0..<count { y[j * stride] = (x[j * stride] - maximum) * inverseTemperature - logTotal }
    return logTotal + maximum * inverseTemperature
}

/// Runs `body(lane base offset, stride)` for every lane along `axis`, split across threads.
@inline(__always)
func forEachLane(shape: [Int], axis: Int, _ body: (_ offset: Int, _ stride: Int, _ count: Int) -> Void) {
    let (outer, size, inner) = axisLayout(shape, axis: axis)
    parallelFor(outer * inner, grain: Swift.max(1, Parallelism.minimumElementsPerThread / Swift.max(size, 1))) { lanes in
        for lane in lanes {
            let o = lane / inner, i = lane % inner
            body(o * size * inner + i, inner, size)
        }
    }
}
