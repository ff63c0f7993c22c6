// OpenBLAS's cblas.h also declares openblas_set_num_threads, which the engine calls once.
#include <cblas.h>
