// Command cgohello calls a C function that calls libc, so the executable is
// dynamically linked with DT_NEEDED libc.so.6 and GLIBC_* version needs.
package main

/*
#include <stdio.h>

static int greet(void) {
	return puts("hello from C");
}
*/
import "C"

func main() {
	if C.greet() < 0 {
		println("puts failed")
	}
}
