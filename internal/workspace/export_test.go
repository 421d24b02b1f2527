package workspace

// ForceWalk makes r resolve paths by opening each folder in turn, as on a
// kernel without openat2.
func ForceWalk(r *Reader) { r.walk.Store(true) }

// SetBeforeDisk makes r run f before each disk operation (a hung disk).
func SetBeforeDisk(r *Reader, f func()) { r.beforeDisk = f }
