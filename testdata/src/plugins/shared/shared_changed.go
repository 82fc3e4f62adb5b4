//go:build changed

// Package shared, another version: Greeting returns another string, so the
// package's hash differs and a host with the first version refuses the plugin.
package shared

// Greeting is called from both sides.
func Greeting() string { return "hello, changed" }
