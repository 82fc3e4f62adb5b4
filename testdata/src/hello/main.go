// Command hello is the smallest Go program the fixtures are built from. It
// uses println, not package os or fmt, to keep every copy small.
package main

func main() {
	println("hello from elfgate testdata")
}
