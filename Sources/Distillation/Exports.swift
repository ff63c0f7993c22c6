// The training loop moved from Distillation to its own target; code that imports
// Distillation for `Trainer`, `TrainingObjective` or `Teacher` keeps compiling.
@_exported import Training
