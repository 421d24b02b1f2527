//go:build !linux

package testkit

import "testing"

// Tmpfs is Linux only: elsewhere the test is skipped.
func Tmpfs(t testing.TB, size string) string {
	t.Helper()
	t.Skip("a tmpfs can only be mounted on Linux")
	return ""
}

// FillUntilFull is Linux only: elsewhere the test is skipped.
func FillUntilFull(t testing.TB, dir, name string, leave int64) string {
	t.Helper()
	t.Skip("filling a file system is only done on Linux")
	return ""
}
