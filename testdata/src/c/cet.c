/* Built with -fcf-protection=full -Wl,-z,ibt,-z,shstk: the GNU property note
   carries X86_FEATURE_1_AND with IBT and SHSTK. */
int cet_add(int a, int b) { return a + b; }
