//go:build race

package sqlite

// raceEnabled: the tests run under the race detector, where SQLite's
// translated C code runs some thirty times slower.
const raceEnabled = true
