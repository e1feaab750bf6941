//go:build !linux

package runner

// killStragglers does nothing where the job's escaped descendants cannot
// be found (no /proc, no child subreaper).
func killStragglers(token string) []Straggler { return nil }
