// Package main is built with -buildmode=plugin; Greet is looked up by name.
package main

func Greet() {
	println("hello from a plugin")
}
