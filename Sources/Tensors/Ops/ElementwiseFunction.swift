/// A differentiable scalar function applied elementwise: its value, and its derivative
/// given both the input `x` and the output `y = value(x)` (whichever is cheaper).
///
/// Every unary op (exp, relu, gelu, …) is a small struct conforming to this protocol;
/// `Tensor.applying(_:)` runs the forward loop and a fused backward loop for all of them.
protocol ElementwiseFunction {
    func value(_ x: Float) -> Float
    func derivative(x: Float, y: Float) -> Float
}

extension Tensor {
    @inline(__always)
    func applying<F: ElementwiseFunction>(_ function: F) -> Tensor {
        let result = mapElements(self, ValueOf(function: function))
        guard Tensor.shouldRecord(self) else { return result }
        let x = detached(), y = result.detached()
        return result.recorded(inputs: [self]) { g, _ in
            [mapElements(g, x, y, ChainRule(function: function))]
        }
    }
}
