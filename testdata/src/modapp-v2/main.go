// Command modapp links two major versions of one module side by side:
// example.com/lib and example.com/lib/v2.
package main

import (
	"example.com/lib"
	lib2 "example.com/lib/v2"
)

func main() { println(lib.Name(), lib2.Name()) }
