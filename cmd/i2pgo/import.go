package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/i2pgo/i2pgo/configs"
)

const importUsage = `usage: i2pgo import FILE|DIR

Converts the tunnels of Java I2P (i2ptunnel.config, or the directory
i2ptunnel.config.d) or of i2pd (tunnels.conf, or the directory tunnels.d)
into i2pgo's "tunnels:" list, printed on standard output, to paste into the
config file. A file's sibling .d directory is read too. What cannot be
converted is named in warnings on standard error. The destinations' private
keys are not converted: each imported tunnel with keys gets a new keys file
name, and so a new destination, at its first start.

Exit codes: 0 when converted (warnings or not), 2 for a bad command line or
a file that cannot be read or parsed.
`

// runImport runs "i2pgo import FILE|DIR" (see importUsage).
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("i2pgo import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, importUsage)
		return 2
	}
	path := fs.Arg(0)
	ts, warns, err := configs.ImportPath(path)
	if err != nil {
		fmt.Fprintf(stderr, "i2pgo import: %v\n", err)
		return 2
	}
	out, err := configs.MarshalTunnels(ts)
	if err != nil {
		fmt.Fprintf(stderr, "i2pgo import: %v\n", err)
		return 1
	}
	for _, w := range warns {
		fmt.Fprintf(stderr, "i2pgo import: warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "# %d tunnels imported from %s by i2pgo import; see its warnings.\n", len(ts), path)
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "i2pgo import: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "i2pgo import: %d tunnels from %s, %d warnings\n", len(ts), path, len(warns))
	return 0
}
