// Package e2e holds cohos's end-to-end tests: the cohos binary, built once,
// governs real MassGen runs (the pinned release in the project virtualenv,
// made by scripts/setup-massgen.sh) against the scripted substrate server,
// one run per substrate profile, and verifies each signed bundle. The
// package has no code of its own; the tests fail, never skip, when MassGen
// is not installed.
package e2e
