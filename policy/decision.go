package policy

// Decision is the outcome of grading a run against a policy.
type Decision string

// The three decisions, from best to worst.
const (
	Allow    Decision = "ALLOW"
	Marginal Decision = "MARGINAL"
	Refuse   Decision = "REFUSE"
)

// Valid reports whether d is one of Allow, Marginal and Refuse.
func (d Decision) Valid() bool {
	return d == Allow || d == Marginal || d == Refuse
}

// rank orders decisions; anything that is not a valid decision ranks as
// Refuse so that a corrupt value never improves an outcome.
func (d Decision) rank() int {
	switch d {
	case Allow:
		return 0
	case Marginal:
		return 1
	default:
		return 2
	}
}

// Worst returns the worse of a and b. An invalid decision counts as Refuse,
// and the result is then Refuse.
func Worst(a, b Decision) Decision {
	r := max(a.rank(), b.rank())
	switch r {
	case 0:
		return Allow
	case 1:
		return Marginal
	default:
		return Refuse
	}
}
