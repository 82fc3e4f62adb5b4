/* Two versions of demo_fn: demo_fn@LIBDEMO_1.0 (old) and the default
   demo_fn@@LIBDEMO_2.0. Version nodes come from versioned.map. */
int demo_fn_v1(int x) { return x + 1; }
int demo_fn_v2(int x) { return x + 2; }
__asm__(".symver demo_fn_v1, demo_fn@LIBDEMO_1.0");
__asm__(".symver demo_fn_v2, demo_fn@@LIBDEMO_2.0");

int demo_other(void) { return 42; }
