//go:build nosub

// Package main without Sub: the c-shared library with an export removed.
package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

func main() {}
