// Command cohos is governed execution with signed evidence.
package main

import (
	"fmt"
	"os"

	"cohos.dev/cohos/cmd"
	"cohos.dev/cohos/internal/isolate"
	"cohos.dev/cohos/internal/procsec"
)

func main() {
	// When this process is the init of an isolated job, it runs as that
	// and exits here.
	if code, ok := isolate.MaybeInit(); ok {
		os.Exit(code)
	}
	if err := procsec.Harden(); err != nil {
		fmt.Fprintf(os.Stderr, "cohos: error: %v\n", err)
		os.Exit(cmd.ExitError)
	}
	os.Exit(cmd.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
