//go:build !nosub && !edited

// Package main is built with -buildmode=c-shared; Add and Sub are exported
// to C. Tags pick the variants: nosub (Sub removed), edited (this file with
// a comment changed: cgo's glue names carry a hash of the file).
package main

import "C"

//export Add
func Add(a, b C.int) C.int { return a + b }

//export Sub
func Sub(a, b C.int) C.int { return a - b }

func main() {}
