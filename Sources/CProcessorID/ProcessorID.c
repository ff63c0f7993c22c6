// Everything is in the header, as static inline functions; SwiftPM needs one source file.
#include "ProcessorID.h"
