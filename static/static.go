// Package static holds the console's assets (CSS, and later the little
// JavaScript of the live graphs), embedded in the binary.
package static

import "embed"

// FS holds the assets, served under /static/.
//
//go:embed *.css *.js
var FS embed.FS
