"""Writes the small reader fixtures of the Datasets tests with the reference tools: NumPy
(.npy, .npz) and Python's gzip (IDX .gz). Run: python3 make_fixtures.py (numpy). The tests
never run Python."""
import gzip, struct
import numpy as np

# IDX: 3 images of 2×3 bytes, gzip-compressed as the MNIST files are.
images = np.arange(18, dtype=np.uint8).reshape(3, 2, 3) * 7
header = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", 3, 2, 3)
with gzip.open("tiny-images-idx3-ubyte.gz", "wb") as f:
    f.write(header + images.tobytes())
# IDX of big-endian float32 values (type 0x0D), uncompressed.
values = np.array([[1.5, -2.25], [3.0, 1e-3]], dtype=">f4")
with open("tiny-float.idx", "wb") as f:
    f.write(struct.pack(">BBBB", 0, 0, 0x0D, 2) + struct.pack(">II", 2, 2) + values.tobytes())

# NPY in several dtypes and orders.
np.save("float32.npy", np.array([[1.5, -2.0, 3.25], [0.0, 7.0, -1.0]], dtype="<f4"))
np.save("int64_fortran.npy", np.asfortranarray(np.arange(6, dtype="<i8").reshape(2, 3) - 2))
np.save("float16_bigendian.npy", np.array([0.5, -1.0, 65504.0, 6e-8], dtype=">f2"))
np.save("bool.npy", np.array([True, False, True]))
np.save("uint8_3d.npy", np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
np.savez("stored.npz", a=np.array([1, 2, 3], dtype=np.int32), b=np.eye(2, dtype=np.float64))
np.savez_compressed("compressed.npz", x=np.linspace(0, 1, 50, dtype=np.float32).reshape(5, 10), y=np.arange(5, dtype=np.int16))

# A Planetoid-format graph (the layout of cora.npz): 6 nodes, 2 classes, CSR adjacency and
# features, row 1's columns unsorted as SciPy may leave them; node 5 unlabeled. Stored, not
# deflated, so that the reader fuzz test's mutations reach the arrays.
np.savez("tiny-planetoid.npz",
         adj_data=np.ones(8, dtype=np.float32), adj_indices=np.array([1, 2, 0, 0, 4, 3, 5, 4]), adj_indptr=np.array([0, 1, 3, 4, 5, 7, 8]),
         adj_shape=np.array([6, 6]),
         attr_data=np.ones(6, dtype=np.float32), attr_indices=np.array([0, 2, 1, 0, 3, 2]), attr_indptr=np.array([0, 1, 2, 3, 4, 5, 6]),
         attr_shape=np.array([6, 4]),
         labels=np.array([0, 1, 0, 1, 0, -1]), idx_train=np.array([0, 1]), idx_val=np.array([2, 3]), idx_test=np.array([4]))

print("written")
