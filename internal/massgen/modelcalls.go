package massgen

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
)

// summaryName is MassGen's metrics summary in the attempt directory,
// written when coordination ends normally (not when every agent failed).
const summaryName = "metrics_summary.json"

// maxModelCalls bounds a plausible call count; more is malformed.
const maxModelCalls = 1 << 30

// readModelCalls returns api_timing.total_calls of metrics_summary.json in
// attemptDir: the chat-completion calls MassGen's agents made (answers,
// votes, enforcement retries, the final presentation; the client's own
// retries of a failed request are not counted). ok is false when the file
// is missing; a present file that cannot be read or holds no sane count
// is an error.
func readModelCalls(fsys fs.FS, attemptDir string) (n int, ok bool, err error) {
	b, err := readBounded(fsys, path.Join(attemptDir, summaryName), maxFileSize)
	if errors.Is(err, errMissing) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var doc struct {
		APITiming *struct {
			TotalCalls *float64 `json:"total_calls"`
		} `json:"api_timing"`
	}
	if err := decodeJSON(b, &doc); err != nil {
		return 0, false, err
	}
	if doc.APITiming == nil || doc.APITiming.TotalCalls == nil {
		return 0, false, errors.New("no api_timing.total_calls")
	}
	f := *doc.APITiming.TotalCalls
	if f < 0 || f > maxModelCalls || f != math.Trunc(f) {
		return 0, false, fmt.Errorf("api_timing.total_calls %v is not a call count", f)
	}
	return int(f), true, nil
}
