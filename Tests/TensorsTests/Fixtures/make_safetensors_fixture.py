"""Writes reference.safetensors with the reference implementation (the safetensors
package, NumPy arrays): F32, F16, F64 and I64 tensors and string metadata, as PyTorch's
save_file would. Run: python3 make_safetensors_fixture.py (numpy, safetensors)."""
import numpy as np
from safetensors.numpy import save_file

# safetensors written by the reference implementation.
save_file({
    "layers.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
    "layers.0.bias": np.array([0.5, -0.5], dtype=np.float16),
    "running_var": np.array([1.0, 2.0, 3.0], dtype=np.float64),
    "num_batches_tracked": np.array(7, dtype=np.int64),
}, "reference.safetensors", metadata={"format": "pt", "note": "fixture"})
