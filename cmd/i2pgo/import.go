package main

import "io"

// runImport runs "i2pgo import FILE..."; see importUsage.
func runImport(args []string, stdout, stderr io.Writer) int {
	io.WriteString(stderr, "i2pgo import: not implemented yet\n")
	return 2
}
