// Command linkshared is built with -linkshared against a Go shared library
// of package runtime (go install -buildmode=shared runtime): at start it
// checks that library's ABI hash against the one it was linked with.
package main

func main() { println("linkshared hello") }
