// Command cgoflip looks up the current user with os/user, which uses the C
// library through cgo when CGO_ENABLED=1 and pure Go otherwise: one source,
// built both ways.
package main

import "os/user"

func main() {
	u, err := user.Current()
	if err != nil {
		println("user:", err.Error())
		return
	}
	println("user:", u.Username)
}
