//go:build race

package ids

// The race detector instruments allocations, so allocation counts are only
// meaningful without it.
const raceEnabled = true
