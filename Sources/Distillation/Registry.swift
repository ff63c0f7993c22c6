/// What this target offers to configs by name. Swift runs no code at import, so nothing
/// registers itself: a type is listed here, next to the others of its target, and the
/// config reader (`Experiments`) joins the targets' lists. A test spells out the joined
/// names, so a type left out of its list does not go missing silently.
public enum DistillationRegistry {
    /// The loss terms, in the order errors list them.
    public static let lossTerms: [any ConfigurableLossTerm.Type] = [
        CrossEntropyTerm.self, KnowledgeDistillationLoss.self, SoftTargetLoss.self, DecoupledKD.self, FitNetsHint.self,
        AttentionTransfer.self, SimilarityPreserving.self, RelationalKD.self, ProbabilisticKT.self, VariationalInformationDistillation.self,
        ContrastiveRepresentationDistillation.self, MEALV2Discriminator.self, MutualInformationAlpha.self, TokenRelationDistillation.self,
        NeuronSelectivityTransfer.self, CorrelationCongruence.self, FlowOfSolutionProcedure.self, ActivationBoundaries.self, FactorTransfer.self,
    ]
}
