package verify

// MediaType names the JSON document `cohos verify --json` prints.
const MediaType = "application/vnd.cohos.verify+json;version=1"

// Document is the JSON document of one verification run over one or more
// bundles (SPEC.md "Checks"): Verified is true only when every bundle is.
type Document struct {
	MediaType string         `json:"mediaType"`
	Verified  bool           `json:"verified"`
	Bundles   []BundleResult `json:"bundles"`
}

// BundleResult is one bundle's entry in a Document. Error says why a
// bundle could not be evaluated, or which check failed first.
type BundleResult struct {
	Path      string            `json:"path"`
	Verified  bool              `json:"verified"`
	Error     string            `json:"error,omitempty"`
	Checks    []Check           `json:"checks"`
	Envelopes []EnvelopeSummary `json:"envelopes"`
}
