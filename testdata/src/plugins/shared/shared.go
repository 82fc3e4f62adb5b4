//go:build !changed

// Package shared is linked by the plugin host and by its plugins; the tag
// `changed` builds the other version of it (shared_changed.go).
package shared

// Greeting is called from both sides.
func Greeting() string { return "hello" }
