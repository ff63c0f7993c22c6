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

    /// The value of `loss` and the gradients of only the trainable parameters it depends on:
    /// a parameter it does not reach has no entry, so an optimizer leaves it as it is (as
    /// PyTorch's optimizers skip a parameter whose `grad` is `None`).
    public func valueAndReachedGradients(_ loss: () -> Tensor) -> (value: Tensor, gradients: [String: Tensor]) {
        let parameters = trainableParameters
        let value = loss()
        let grads = Tensors.reachedGradients(of: value, wrt: parameters.map(\.value))
        var reached: [String: Tensor] = [:]
        for (path, gradient) in zip(parameters.map(\.path), grads) { reached[path] = gradient }
        return (value.detached(), reached)
    }
}

extension Module {
    /// Compares the pullbacks' gradients with respect to every parameter with central finite
    /// differences (`checkGradients`), for the module applied to `input`.
    public func checkParameterGradients(input: Tensor, tolerance: Float = 5e-3) -> GradientCheckResult {
        checkParameterGradients(tolerance: tolerance) { self(input) }
    }

    /// The same check for any call of the module (one with several inputs, or a mask).
    public func checkParameterGradients(tolerance: Float = 5e-3, of call: () -> Tensor) -> GradientCheckResult {
        let parameters = namedParameters().map(\.parameter)
        return withoutActuallyEscaping(call) { call in
            checkGradients(of: { values in
                // Substitute the checker's tensors for the parameters, one nested scope each.
                func forward(from index: Int) -> Tensor {
                    index == parameters.count ? call() : parameters[index].substituting(values[index]) { forward(from: index + 1) }
                }
                return forward(from: 0)
            }, at: parameters.map { $0.wrappedValue.detached() }, absoluteTolerance: tolerance, relativeTolerance: tolerance)
        }
    }
}

extension Module {
    /// Runs `body` with every parameter standing in as a constant: gradients flow through the
    /// module to its inputs but not into its parameters (a GAN's generator step through a
    /// discriminator that step must not train).
    public func withFrozenParameters<Result>(_ body: () throws -> Result) rethrows -> Result {
        let parameters = namedParameters().map(\.parameter)
        func substitute(from index: Int) throws -> Result {
            guard index < parameters.count else { return try body() }
            return try parameters[index].substituting(parameters[index].wrappedValue.detached()) { try substitute(from: index + 1) }
        }
        return try substitute(from: 0)
    }
}
