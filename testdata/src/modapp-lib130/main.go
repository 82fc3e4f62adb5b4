// Command modapp links one dependency, example.com/lib, vendored (the
// fixtures are built offline) at the version go.mod requires.
package main

import "example.com/lib"

func main() { println(lib.Name()) }
