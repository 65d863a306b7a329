//go:build race

package agent

// raceEnabled: the race detector changes allocation counts (sync.Pool
// drops items on purpose), so allocation tests are skipped under it.
const raceEnabled = true
