// Package massgen reads what a MassGen run left on disk (status.json,
// events.jsonl, coordination_events.json, final answers) and turns it into
// governance metrics and a per-agent timeline. It trusts MassGen's files,
// not its exit code, and never panics on truncated or missing logs.
package massgen
