import Foundation
import NN
import Tensors

/// A distiller's defence against a poisoned teacher ("Cascading Adversarial Bias from
/// Injection to Distillation in Language Models"): each continuation the teacher writes is
/// scored by a reference model the distiller trusts (trained on its own clean text), and one
/// the reference finds too perplexing is left out of distillation. An injected phrase is
/// text the clean reference has never seen, so the continuations that carry it stand out.
public struct PerplexityFilter {
    public let reference: GPT
    /// A continuation is kept while the reference's mean negative log-likelihood per token
    /// of it is at most this (the log of the largest perplexity kept).
    public let maximumNegativeLogLikelihood: Double

    public init(reference: GPT, maximumNegativeLogLikelihood: Double) {
        precondition(maximumNegativeLogLikelihood > 0, "PerplexityFilter: a bound of \(maximumNegativeLogLikelihood) nats")
        (self.reference, self.maximumNegativeLogLikelihood) = (reference, maximumNegativeLogLikelihood)
    }

    /// The filter that keeps `fraction` of `sequences` `[B, L]` (continuations after
    /// `promptLength` tokens): its bound is their `fraction` quantile, so it drops the most
    /// perplexing `1 − fraction` of data like what it will judge.
    public static func calibrated(reference: GPT, on sequences: Tensor, promptLength: Int, keeping fraction: Double) -> PerplexityFilter {
        precondition(fraction > 0 && fraction <= 1, "PerplexityFilter: keeping \(fraction)")
        let sorted = reference.negativeLogLikelihoods(of: sequences, after: promptLength).sorted()
        let index = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
        return PerplexityFilter(reference: reference, maximumNegativeLogLikelihood: sorted[index])
    }

    /// Whether each row of `sequences` `[B, L]` passes, judged on its tokens after
    /// `promptLength`.
    public func passes(_ sequences: Tensor, promptLength: Int) -> [Bool] {
        reference.negativeLogLikelihoods(of: sequences, after: promptLength).map { $0 <= maximumNegativeLogLikelihood }
    }
}
