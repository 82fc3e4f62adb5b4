// Package lib says which version of it is linked.
package lib

// Name is the module version.
func Name() string { return "example.com/lib v1.3.0" }
