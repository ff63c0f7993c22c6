import Tensors

extension Module {
    /// The value of `loss` (computed from this model) and its gradient with respect to
    /// every trainable parameter, keyed by parameter path.
    public func valueAndGradients(_ loss: () -> Tensor) -> (value: Tensor, gradients: [String: Tensor]) {
        let parameters = trainableParameters
        let value = loss()
        let grads = Tensors.gradients(of: value, wrt: parameters.map(\.value))
        return (value.detached(), Dictionary(uniqueKeysWithValues: zip(parameters.map(\.path), grads)))
    }
}
