// Package greet is a dependency module wired in with a local replace.
package greet

// Line returns the greeting line.
func Line() string { return "hello from a replaced module" }
