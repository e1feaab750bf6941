// Package policy parses cohos policies and grades observed metrics against
// them as ALLOW, MARGINAL or REFUSE. It is pure: no I/O, no clock, no global
// state. The verifier re-runs [Evaluate] on the attested policy and metrics,
// so evaluation is deterministic and its [Result] round-trips through JSON.
//
// # Policy format
//
// A policy is one strict YAML document (JSON, being YAML, is accepted too):
//
//	apiVersion: cohos/v1
//	kind: Policy
//	name: local-massgen
//	rules:
//	  - {metric: completed, require: true}
//	  - {metric: restarts,  marginal: 2, refuse: 6}
//	  - {metric: answers_per_agent_max, marginal: 2, refuse: 4, missing: allow}
//
// apiVersion must be "cohos/v1", kind "Policy", name a non-empty string of at
// most 128 bytes without control characters. rules holds 1 to [MaxRules]
// rules, at most one per metric. Each rule has:
//
//   - metric: the metric name, 1 to 64 bytes of [a-z0-9_].
//   - exactly one kind of check: require (true or false: a boolean metric must
//     equal it, else REFUSE), or numeric upper limits marginal and/or refuse
//     (at least one; with both, marginal <= refuse). An observed value above
//     marginal is MARGINAL, above refuse is REFUSE; a value equal to a limit
//     is within it.
//   - missing (optional): allow, marginal or refuse (lower or upper case,
//     stored upper case), the outcome when the metric was not observed. The
//     default is refuse: an unobserved metric fails closed.
//   - description (optional): a string for people, at most 1024 bytes.
//
// Limits are decimal numbers in JSON's grammar (no hex, octal, underscores,
// infinities or NaN). Booleans are exactly true or false. Unknown keys,
// duplicate keys, wrong types, anchors and aliases, explicit tags, a second
// document and trailing data are all errors, reported as a [*ParseError]
// naming the line and the field. Input is limited to [MaxInputSize] bytes.
//
// # Evaluation
//
// Each rule yields one [Reason]; the worst outcome wins (REFUSE over MARGINAL
// over ALLOW). An observed value of the wrong kind (a boolean for a numeric
// rule or a number for a require rule) or a non-finite number is REFUSE.
//
// # Canonical form
//
// [Policy.Canonical] is JSON with keys sorted, no insignificant whitespace,
// strings escaped as in RFC 8785 and numbers in ECMAScript's shortest form;
// [Policy.Digest] is the SHA-256 of it. Parsing the canonical form gives an
// equal policy and the same bytes again.
package policy

// Limits on what Parse and ParseMetrics accept.
const (
	MaxInputSize = 1 << 20 // bytes of policy or metrics input
	MaxRules     = 256     // rules in one policy
)

const (
	maxMetricLen      = 64
	maxNameLen        = 128
	maxDescriptionLen = 1024
)
