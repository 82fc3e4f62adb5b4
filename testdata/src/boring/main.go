// Command boring hashes a constant with crypto/sha256 so that, under
// GOEXPERIMENT=boringcrypto with cgo, the BoringCrypto module is linked in.
package main

import "crypto/sha256"

func main() {
	sum := sha256.Sum256([]byte("elfgate"))
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(sum))
	for _, b := range sum {
		out = append(out, digits[b>>4], digits[b&0xf])
	}
	println(string(out))
}
