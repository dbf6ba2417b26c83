/* The classifier's portable paths (byte-loop normalisation, scalar n-gram hashing),
 * which a machine with SSE2 and AVX2 never runs, against the same reference as
 * test_classifier_reference.c: the source is compiled here with CLF_SCALAR_ONLY, and
 * its functions stand in for libwarden.a's. */
#define CLF_SCALAR_ONLY 1
#include "../../../src/guard/classifier.c"

#include "test_classifier_reference.c"
