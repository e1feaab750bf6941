// Package massgen is everything cohos knows about MassGen: finding the
// executable (FindExecutable), the environment it needs, asking a model
// server for its models (FirstModel), running it under the supervisor
// (Run, on runner.Run) and reading what it left on disk (status.json,
// events.jsonl, coordination_events.json, final answers), which Analyze
// turns into governance metrics and a per-agent timeline, and the answers
// copied into artifacts/. It trusts MassGen's files, not its exit code, and
// never panics on truncated or missing logs. Its configs are generated and
// inspected by the subpackage massgencfg.
//
// Run writes massgen_config.yaml (the config used), massgen_stdout.log,
// massgen_stderr.log and massgen_invocation.json, keeps MassGen's own logs
// under .massgen/ (HOME and MASSGEN_LOG_BASE_DIR point there), and after the
// run copies each agent's final answer and the winner's into artifacts/
// with an index.txt, and writes massgen_timeline.json.
package massgen
