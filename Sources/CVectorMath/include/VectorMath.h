#ifndef DISTILLERY_VECTOR_MATH_H
#define DISTILLERY_VECTOR_MATH_H

// Vector math the Swift compiler does not emit by itself. Swift's `squareRoot()` keeps a
// libm fallback for negative inputs (for `errno`), so a loop or a SIMD value that takes
// square roots is split into scalar calls. Clang's element-wise builtin has no such
// fallback and compiles to one vector instruction. The vector types import into Swift as
// `SIMD4<Float>`, and these static inline functions inline into the Swift callers.

typedef float distillery_float4 __attribute__((ext_vector_type(4)));

/// The square root of each lane (NaN for a negative lane).
static inline distillery_float4 distillery_sqrt4(distillery_float4 x) {
    return __builtin_elementwise_sqrt(x);
}

#endif
