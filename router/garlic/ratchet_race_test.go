//go:build race

package garlic

// raceEnabled shrinks the slowest tests under the race detector, which
// makes X25519 about ten times slower.
const raceEnabled = true
