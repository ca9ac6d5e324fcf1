//go:build !race

package garlic

const raceEnabled = false
