/* Built for aarch64 with -mbranch-protection=standard -Wl,-z,force-bti: the
   GNU property note carries AARCH64_FEATURE_1_AND with BTI (and PAC). */
int bti_add(int a, int b) { return a + b; }
