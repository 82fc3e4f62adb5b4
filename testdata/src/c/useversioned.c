/* Links against libversioned.so, so the executable has DT_NEEDED
   libversioned.so and a version need on LIBDEMO_2.0 (demo_fn@@LIBDEMO_2.0)
   and LIBDEMO_1.0 (demo_other). */
int demo_fn(int);
int demo_other(void);

int main(void) { return demo_fn(1) + demo_other() == 45 ? 0 : 1; }
