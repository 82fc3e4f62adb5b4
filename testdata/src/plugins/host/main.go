// Command host opens each argument with plugin.Open, calls its Hello and
// prints the result; on an error it prints it and exits 1. Tests run it as
// the oracle for elfgate's go.plugin rule.
package main

import (
	"os"
	"plugin"

	"example.com/plugins/shared"
)

func main() {
	os.Stdout.WriteString("host: " + shared.Greeting() + "\n")
	for _, path := range os.Args[1:] {
		p, err := plugin.Open(path)
		if err != nil {
			os.Stdout.WriteString("open error: " + err.Error() + "\n")
			os.Exit(1)
		}
		s, err := p.Lookup("Hello")
		if err != nil {
			os.Stdout.WriteString("lookup error: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("plugin: " + s.(func() string)() + "\n")
	}
}
