// Command withdep depends on example.com/greet, replaced by ../greet, so its
// build info lists the dependency with a "=>" replacement line.
package main

import "example.com/greet"

func main() {
	println(greet.Line())
}
