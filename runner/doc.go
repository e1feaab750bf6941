// Package runner is cohos's one supervisor: it starts a governed job,
// supervises it, captures its output to files in the run directory,
// records the invocation and observes its behaviour as metrics. It knows
// nothing of signing, policy evaluation or what the job is; a kind of job
// with files of its own (a MassGen run, package internal/massgen) adds
// them through Spec.Prepare, Spec.Inputs, Spec.Reserved and Spec.Observe.
//
// By default each attempt runs isolated (package internal/isolate): behind
// an init that is PID 1 of new PID, mount and IPC namespaces (and a user
// namespace when cohos is not root), with Spec.Isolation.Mask hidden, so
// that no process of the job outlives it or cohos, and none sees cohos,
// its ancestors or the signing key. Where namespaces are unavailable, or
// with Spec.Isolation.Off, Run falls back to the process-group
// supervision below; Outcome.Isolation and the isolated metric say which
// ran and why.
//
// Run (supervise, underneath) runs each attempt of one process: in its own process group, stdin from the null
// device, stdout and stderr written straight to log files (never through
// pipes, so a grandchild holding the output open cannot make it hang and
// memory stays flat however much the job prints). On a timeout or
// cancellation the whole group gets SIGTERM, then SIGKILL after a grace
// period; after the leader exits, whatever is left of the group is
// terminated the same way and reaped.
//
// On Linux, Run marks the calling process as a child subreaper
// (PR_SET_CHILD_SUBREAPER) so that the job's orphaned descendants are
// reparented to it and reaped when the group is cleaned up, even when the
// process with PID 1 does not reap orphans. The attribute stays set.
//
// A process can leave the job's group (setsid, setpgid) and so outlive it.
// Every process of a job carries COHOS_JOB_TOKEN, random and new for each
// Run call, in its environment. On Linux, after the last
// attempt, every descendant of the calling process with that entry, and
// everything below it, is stopped, killed and reaped, so nothing of the job
// is left to change the run directory after it was observed; each is
// recorded in the invocation's stragglers, counted in the stragglers_killed
// metric and named in Problems. Other jobs running in the same process are
// not touched. A descendant that both left the group and cleared its
// environment is missed unless a marked ancestor of it is still alive. On
// other systems nothing is swept.
//
// Each log is opened by cohos, which writes the job's output to that file.
// When the job ends and the log's path no longer names that file (the job
// removed or renamed it and put another file, a symlink or a directory
// there), the path is restored from cohos's descriptor, the metric
// completed is false and Problems says which log was replaced.
//
// Once every process of the job is gone, Run sweeps the run directory
// (package internal/quarantine): whatever the job left at a reserved name
// (Spec.Reserved, <Prefix>_invocation.json), instead of artifacts/, or
// under a name the evidence cannot represent is moved into a quarantine
// folder, kept and attested; a changed Spec.Inputs file is quarantined
// and written again; what the job made unreadable (or the run directory
// unwritable) is opened again. Each is a problem and makes the run
// not completed (Outcome.Tampered).
//
// Files written in the run directory (Prefix "command" shown):
//
//	command_stdout.log       the job's stdout, raw, appended across attempts
//	command_stderr.log       the job's stderr, raw, appended across attempts
//	command_invocation.json  the Invocation, written atomically
//	artifacts/               COHOS_ARTIFACTS for the job, and collected files
package runner
