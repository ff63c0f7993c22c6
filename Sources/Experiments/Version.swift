/// Distillery's release, as `distill --version` prints it and run summaries record it.
public enum DistilleryVersion {
    public static let current = "0.7.0"
}
