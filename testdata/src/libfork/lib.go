// Package lib is a fork of example.com/lib that modapp-replaced links
// through a replace directive.
package lib

// Name is the module version.
func Name() string { return "example.com/lib fork" }
