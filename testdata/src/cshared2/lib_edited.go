//go:build edited

// Package main is built with -buildmode=c-shared; Add and Sub are exported
// to C. Only this comment differs from lib.go.
package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

//export Sub
func Sub(a, b C.int) C.int { return a - b }

func main() {}
