package substrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// failure is what the flaky and dead profiles do to a request instead of
// answering it.
type failure int

const (
	failNone failure = iota
	fail500
	fail503
	failCut
	failEmpty // HTTP 200 with an empty stream (empty-200, llama-cpp-python)
)

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		s.methodNotAllowed(w, r, http.MethodPost)
		return
	}
	req, status, e := s.readChat(w, r)
	if e != nil {
		s.count(func(st *Stats) { st.Rejected++ })
		writeError(w, status, *e)
		return
	}
	if n := promptTokens(req); s.q.contextLimit && n > s.opts.ContextTokens {
		s.count(func(st *Stats) { st.Rejected++; st.TooLong++ })
		writeContextError(w, n, s.opts.ContextTokens)
		return
	}
	s.count(func(st *Stats) { st.Chat++ })
	var interrupted <-chan struct{}
	if s.q.interrupt {
		var leave func()
		interrupted, leave = s.enterFlight()
		defer leave()
	}
	req = s.withoutTools(req)
	roll, nonce := s.draw()
	switch s.failureFor(roll, req.Stream) {
	case fail500:
		s.count(func(st *Stats) { st.Failed++ })
		writeError(w, http.StatusInternalServerError, errBody("scripted failure: the "+string(s.opts.Profile)+" substrate profile fails this request", "server_error", "", "substrate_scripted_failure"))
		return
	case fail503:
		s.count(func(st *Stats) { st.Failed++ })
		writeError(w, http.StatusServiceUnavailable, errBody("scripted failure: the substrate is overloaded", "server_error", "", "substrate_scripted_unavailable"))
		return
	case failEmpty:
		s.count(func(st *Stats) { st.Failed++ })
		writeEmptyStream(w)
		return
	case failCut:
		rep := decide(s.opts.Profile, readDialogue(req), s.opts.ThrashAnswers, nonce)
		s.count(func(st *Stats) { st.Cut++ })
		s.writeStream(w, req, rep, true)
		return
	}
	cut, gone := s.wait(r, interrupted)
	if gone {
		return // the client went away while we waited
	}
	rep := decide(s.opts.Profile, readDialogue(req), s.opts.ThrashAnswers, nonce)
	if cut && req.Stream {
		s.count(func(st *Stats) { st.Interrupted++ })
		s.writeStream(w, req, rep, true)
		return
	}
	s.count(func(st *Stats) {
		switch rep.kind {
		case replyNewAnswer:
			st.NewAnswer++
		case replyVote:
			st.Vote++
		default:
			st.Text++
		}
	})
	if req.Stream {
		s.writeStream(w, req, rep, false)
		return
	}
	s.writeCompletion(w, req, rep)
}

// failureFor maps one draw in [0, 1) to the failure the profile injects.
func (s *Server) failureFor(roll float64, stream bool) failure {
	switch s.opts.Profile {
	case Dead:
		return fail500
	case Empty200, LlamaCppPython:
		if stream && roll < s.opts.FlakyRate {
			return failEmpty
		}
	case Flaky:
		rate := s.opts.FlakyRate
		if roll >= rate {
			return failNone
		}
		switch third := roll / rate * 3; {
		case third < 1:
			return fail500
		case third < 2 || !stream:
			return fail503
		default:
			return failCut
		}
	}
	return failNone
}

// readChat decodes and validates a chat request. On failure it returns the
// HTTP status and the error body to send.
func (s *Server) readChat(w http.ResponseWriter, r *http.Request) (*chatRequest, int, *apiErrorBody) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			e := errBody(fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes), "invalid_request_error", "", "request_too_large")
			return nil, http.StatusRequestEntityTooLarge, &e
		}
		e := errBody("cannot read request body", "invalid_request_error", "", "")
		return nil, http.StatusBadRequest, &e
	}
	var req chatRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		e := errBody(fmt.Sprintf("malformed JSON body: %v", err), "invalid_request_error", "", "invalid_json")
		return nil, http.StatusBadRequest, &e
	}
	if dec.More() {
		e := errBody("malformed JSON body: trailing data after the request object", "invalid_request_error", "", "invalid_json")
		return nil, http.StatusBadRequest, &e
	}
	switch {
	case req.Model == "":
		e := errBody("you must provide a model parameter", "invalid_request_error", "model", "")
		return nil, http.StatusBadRequest, &e
	case len(req.Messages) == 0:
		e := errBody("messages must be a non-empty array", "invalid_request_error", "messages", "")
		return nil, http.StatusBadRequest, &e
	case req.Model != s.model && !s.q.anyModel:
		e := errBody(fmt.Sprintf("the model %q does not exist; this substrate serves only %q", req.Model, s.model), "invalid_request_error", "model", "model_not_found")
		return nil, http.StatusNotFound, &e
	}
	return &req, 0, nil
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.methodNotAllowed(w, r, http.MethodGet)
		return
	}
	s.count(func(st *Stats) { st.Models++ })
	writeJSON(w, http.StatusOK, modelList{Object: "list", Data: []modelObject{s.modelObject()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		s.methodNotAllowed(w, r, http.MethodGet)
		return
	}
	if id := r.PathValue("id"); id != s.model {
		s.count(func(st *Stats) { st.Rejected++ })
		writeError(w, http.StatusNotFound, errBody(fmt.Sprintf("the model %q does not exist", id), "invalid_request_error", "model", "model_not_found"))
		return
	}
	s.count(func(st *Stats) { st.Models++ })
	writeJSON(w, http.StatusOK, s.modelObject())
}

func (s *Server) modelObject() modelObject {
	return modelObject{ID: s.model, Object: "model", Created: 0, OwnedBy: "cohos-substrate"}
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Rejected++ })
	writeError(w, http.StatusNotFound, errBody(fmt.Sprintf("invalid URL (%s %s)", r.Method, r.URL.Path), "invalid_request_error", "", "not_found"))
}

func (s *Server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) {
	s.count(func(st *Stats) { st.Rejected++ })
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, errBody(fmt.Sprintf("method %s not allowed on %s (use %s)", r.Method, r.URL.Path, allow), "invalid_request_error", "", "method_not_allowed"))
}

// errBody builds an error body; empty param and code become JSON null.
func errBody(msg, typ, param, code string) apiErrorBody {
	e := apiErrorBody{Message: msg, Type: typ}
	if param != "" {
		e.Param = &param
	}
	if code != "" {
		e.Code = &code
	}
	return e
}

func writeError(w http.ResponseWriter, status int, e apiErrorBody) {
	writeJSON(w, status, apiError{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"cannot encode response","type":"server_error","param":null,"code":null}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
