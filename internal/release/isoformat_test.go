package release

import (
	"testing"
	"time"
)

// The file list's dates are written as OpenSAFELY Airlock writes them:
// Python's isoformat of the time in UTC.
func TestIsoformat(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC), "2024-01-02T03:04:05.123456+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC), "2024-01-02T03:04:05.123457+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 1000, time.UTC), "2024-01-02T03:04:05.000001+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 1, 2, 4, 4, 5, 500000000, paris), "2024-01-02T03:04:05.500000+00:00"},
		{time.Date(2024, 12, 31, 23, 59, 59, 999999600, time.UTC), "2025-01-01T00:00:00+00:00"},
	} {
		if got := isoformat(tc.in); got != tc.want {
			t.Errorf("isoformat(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
