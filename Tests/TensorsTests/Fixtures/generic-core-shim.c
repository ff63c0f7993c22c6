// Makes this machine behave like one whose OpenBLAS does not know the processor: loaded
// with LD_PRELOAD, it answers OpenBLAS's own getenv("OPENBLAS_CORETYPE") with "Prescott"
// when the variable is unset, so a DYNAMIC_ARCH OpenBLAS loads its generic core, as
// Debian's 0.3.21 does on an Intel Xeon of family 6, model 207. Swift reads the process
// environment directly, so Distillery still sees no OPENBLAS_CORETYPE of the user's.
//
// Each process start is logged to $SHIM_LOG ("main PID" or "probe PID"), so that a test
// can count re-executions (same PID) and probes (children). Compiled by
// BLASBackendTests with the C compiler at hand.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *real_getenv(const char *name) {
    static char *(*next)(const char *);
    if (!next) next = (char *(*)(const char *))dlsym(RTLD_NEXT, "getenv");
    return next(name);
}

char *getenv(const char *name) {
    char *value = real_getenv(name);
    if (!value && strcmp(name, "OPENBLAS_CORETYPE") == 0) return (char *)"Prescott";
    return value;
}

__attribute__((constructor)) static void log_start(void) {
    const char *log = real_getenv("SHIM_LOG");
    if (!log) return;
    FILE *file = fopen(log, "a");
    if (!file) return;
    fprintf(file, "%s %d\n", real_getenv("DISTILLERY_BLAS_PROBE") ? "probe" : "main", (int)getpid());
    fclose(file);
}
