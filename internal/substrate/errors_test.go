package substrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// decodeError decodes an OpenAI error body strictly.
func decodeError(t *testing.T, resp *http.Response) apiError {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var e apiError
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body: %v", err)
	}
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("error body %+v, want a message and a type", e)
	}
	return e
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func TestErrorResponses(t *testing.T) {
	big := `{"model":"cohos-substrate-stable","messages":[{"role":"user","content":"` + strings.Repeat("x", MaxBodyBytes) + `"}]}`
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType, wantCode       string
		wantParam                string
	}{
		{"unknown path", "GET", "/v1/embeddings", "", 404, "invalid_request_error", "not_found", "<null>"},
		{"root", "GET", "/", "", 404, "invalid_request_error", "not_found", "<null>"},
		{"unknown model path", "GET", "/v1/models/gpt-4", "", 404, "invalid_request_error", "model_not_found", "model"},
		{"chat by GET", "GET", "/v1/chat/completions", "", 405, "invalid_request_error", "method_not_allowed", "<null>"},
		{"models by POST", "POST", "/v1/models", "{}", 405, "invalid_request_error", "method_not_allowed", "<null>"},
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model":`, 400, "invalid_request_error", "invalid_json", "<null>"},
		{"not an object", "POST", "/v1/chat/completions", `[1]`, 400, "invalid_request_error", "invalid_json", "<null>"},
		{"trailing data", "POST", "/v1/chat/completions", `{"model":"cohos-substrate-stable","messages":[{"role":"user","content":"q"}]} {}`, 400, "invalid_request_error", "invalid_json", "<null>"},
		{"missing model", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"q"}]}`, 400, "invalid_request_error", "<null>", "model"},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"cohos-substrate-stable"}`, 400, "invalid_request_error", "<null>", "messages"},
		{"empty messages", "POST", "/v1/chat/completions", `{"model":"cohos-substrate-stable","messages":[]}`, 400, "invalid_request_error", "<null>", "messages"},
		{"other model", "POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"q"}]}`, 404, "invalid_request_error", "model_not_found", "model"},
		{"too large", "POST", "/v1/chat/completions", big, 413, "invalid_request_error", "request_too_large", "<null>"},
	}
	s, ts := start(t, Options{Profile: Stable})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if h := resp.Header.Get(HeaderName); h != "stable" {
				t.Fatalf("%s header %q, want stable", HeaderName, h)
			}
			e := decodeError(t, resp)
			if e.Error.Type != tt.wantType || str(e.Error.Code) != tt.wantCode || str(e.Error.Param) != tt.wantParam {
				t.Fatalf("error %+v (code %s, param %s), want type %s code %s param %s",
					e.Error, str(e.Error.Code), str(e.Error.Param), tt.wantType, tt.wantCode, tt.wantParam)
			}
		})
	}
	if st := s.Stats(); st.Rejected != len(tests) || st.Chat != 0 {
		t.Fatalf("Stats() = %+v, want %d rejected and no chat", st, len(tests))
	}
}

func TestModels(t *testing.T) {
	s, ts := start(t, Options{Profile: Thrash})
	for _, path := range []string{"/v1/models", "/v1/models/cohos-substrate-thrash"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body := json.NewDecoder(resp.Body)
		body.DisallowUnknownFields()
		var ids []string
		if path == "/v1/models" {
			var l modelList
			err = body.Decode(&l)
			if l.Object != "list" {
				t.Errorf("object %q, want list", l.Object)
			}
			for _, m := range l.Data {
				ids = append(ids, m.ID)
			}
		} else {
			var m modelObject
			err = body.Decode(&m)
			ids = append(ids, m.ID)
		}
		resp.Body.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if resp.StatusCode != 200 || resp.Header.Get(HeaderName) != "thrash" || len(ids) != 1 || ids[0] != "cohos-substrate-thrash" {
			t.Fatalf("%s: status %d header %q ids %v, want 200 thrash [cohos-substrate-thrash]", path, resp.StatusCode, resp.Header.Get(HeaderName), ids)
		}
	}
	if st := s.Stats(); st.Models != 2 {
		t.Fatalf("Stats().Models = %d, want 2", st.Models)
	}
}

func TestDeadAlwaysFails(t *testing.T) {
	s, ts := start(t, Options{Profile: Dead, Seed: 42})
	const n = 20
	for i := range n {
		resp := post(t, ts.URL, realRequest(t, "first_round.json", Dead, i%2 == 0, true))
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("request %d: status %d, want 500", i, resp.StatusCode)
		}
		if e := decodeError(t, resp); e.Error.Type != "server_error" {
			t.Fatalf("request %d: error type %q, want server_error", i, e.Error.Type)
		}
		resp.Body.Close()
	}
	if st := s.Stats(); st != (Stats{Chat: n, Failed: n}) {
		t.Fatalf("Stats() = %+v, want %d chat, %d failed", st, n, n)
	}
}

// outcome is what one flaky request came to: the HTTP status, and for a
// 200 stream whether it was complete.
func flakyOutcomes(t *testing.T, seed int64, rate float64, n int) ([]string, Stats) {
	t.Helper()
	s, ts := start(t, Options{Profile: Flaky, Seed: seed, FlakyRate: rate})
	var out []string
	for range n {
		resp := post(t, ts.URL, realRequest(t, "vote_round.json", Flaky, true, true))
		o := fmt.Sprint(resp.StatusCode)
		switch resp.StatusCode {
		case http.StatusOK:
			chunks, err := parseSSE(resp.Body)
			switch {
			case errors.Is(err, errNoDone):
				if len(chunks) == 0 {
					t.Fatalf("cut stream sent no chunk before the cut")
				}
				o = "cut"
			case err != nil:
				t.Fatalf("stream: %v", err)
			default:
				assemble(t, chunks)
			}
		default:
			if e := decodeError(t, resp); e.Error.Type != "server_error" {
				t.Fatalf("error type %q, want server_error", e.Error.Type)
			}
		}
		resp.Body.Close()
		out = append(out, o)
	}
	return out, s.Stats()
}

func TestFlakyDeterministicPerSeed(t *testing.T) {
	const n = 40
	a, sa := flakyOutcomes(t, 7, 0, n)
	b, sb := flakyOutcomes(t, 7, 0, n)
	c, _ := flakyOutcomes(t, 8, 0, n)
	if strings.Join(a, " ") != strings.Join(b, " ") || sa != sb {
		t.Fatalf("seed 7 twice gave\n%v %+v\n%v %+v", a, sa, b, sb)
	}
	if strings.Join(a, " ") == strings.Join(c, " ") {
		t.Fatalf("seeds 7 and 8 gave the same outcomes %v", a)
	}
	failed := sa.Failed + sa.Cut
	if failed == 0 || failed == n || sa.Chat != n || sa.Vote+failed != n {
		t.Fatalf("seed 7 stats %+v, want some but not all of %d requests failed", sa, n)
	}
}

func TestFlakyRateOneFailsEveryRequest(t *testing.T) {
	const n = 30
	out, st := flakyOutcomes(t, 3, 1, n)
	kinds := map[string]int{}
	for _, o := range out {
		kinds[o]++
	}
	if kinds["200"] != 0 || kinds["500"] == 0 || kinds["503"] == 0 || kinds["cut"] == 0 {
		t.Fatalf("outcomes %v, want only 500, 503 and cut, each at least once", kinds)
	}
	if st.Failed+st.Cut != n || st.Cut != kinds["cut"] {
		t.Fatalf("Stats() = %+v, want %d failures of which %d cuts", st, n, kinds["cut"])
	}
}

func TestParseProfile(t *testing.T) {
	tests := []struct {
		in   string
		want Profile
		err  error
	}{
		{"stable", Stable, nil},
		{"slow", Slow, nil},
		{" Thrash ", Thrash, nil},
		{"thrashing", Thrash, nil},
		{"flaky", Flaky, nil},
		{"dead", Dead, nil},
		{"FAILING", Dead, nil},
		{"", "", ErrUnknownProfile},
		{"stab", "", ErrUnknownProfile},
		{"cohos-substrate-stable", "", ErrUnknownProfile},
	}
	for _, tt := range tests {
		got, err := ParseProfile(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("ParseProfile(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	for _, p := range Profiles() {
		if !p.Valid() || p.Description() == "" || p.Model() != "cohos-substrate-"+string(p) {
			t.Errorf("profile %q: valid %v description %q model %q", p, p.Valid(), p.Description(), p.Model())
		}
	}
}
