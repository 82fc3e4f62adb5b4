/* Built with -march=x86-64-v3 -Wl,-z,x86-64-v3: the GNU property note
   carries X86_ISA_1_NEEDED with x86-64-v3. The loop gives the compiler
   something to vectorize with AVX2. */
void isa3_scale(float *restrict out, const float *restrict in, float k, int n) {
	for (int i = 0; i < n; i++)
		out[i] = in[i] * k;
}
