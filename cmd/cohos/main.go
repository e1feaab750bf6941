// Command cohos is governed execution with signed evidence.
package main

import (
	"os"

	"cohos.dev/cohos/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
