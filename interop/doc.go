// Package interop holds the tests that run i2pgo against the i2pd routers
// of ../shared/testnet (build tag interop; `make interop`). TestMain starts
// the test network if it is not running, on its own base port and
// directory, and stops it again at the end if it started it.
package interop
