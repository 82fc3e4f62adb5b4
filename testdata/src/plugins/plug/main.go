// Package main is a Go plugin (-buildmode=plugin) that links package shared,
// as its host does.
package main

import "example.com/plugins/shared"

// Hello is looked up by the host.
func Hello() string { return "plugin says " + shared.Greeting() }
