package massgen

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"

	"cohos.dev/cohos/internal/massgen/massgencfg"
)

// maxRoleAnswer bounds one answer read into a composed role artifact.
// MassGen's answers are bounded by the config's max_tokens; a larger file
// was not written by MassGen's own bounded run and is cut, with a problem.
const maxRoleAnswer = 4 << 20

// roleArtifact is the artifacts/ name of a role's file: the role itself
// for the gatherer and the synthesizer, candidates_<role> for the experts
// (all their candidate answers in one file).
func roleArtifact(r massgencfg.Role) string {
	if r == massgencfg.Expert {
		return "candidates_" + string(r) + ".txt"
	}
	return string(r) + ".txt"
}

// copyRoleArtifacts writes the artifacts of a synthesis-mode run, named
// by role, through root (the run directory) as copyArtifacts does:
//
//   - context_information_gatherer.txt: the gatherer's answer;
//   - candidates_domain_expert.txt: every domain expert's candidate, in
//     config order, each after a line "=== candidate N of M: AGENT (B
//     bytes) ===";
//   - final_synthesizer.txt: the run's final answer (MassGen's final/
//     answer of the presenter, the final synthesizer unless it failed);
//   - answer_<agent>.txt for an agent whose id names no role;
//   - index.txt: name, bytes and what each file is, and a "#" note for
//     each role that left nothing.
//
// It returns the names written and the problems, like copyArtifacts.
func copyRoleArtifacts(root *os.Root, a *Analysis, roles []massgencfg.AgentRole) (written, problems []string, err error) {
	var files []artifact
	var notes []string
	if a == nil {
		notes = append(notes, "no answers: MassGen's logs were not found")
	} else {
		files, notes, problems = roleFiles(root, a, roles)
	}
	written, err = writeIndex(root, files, notes)
	return written, problems, err
}

// roleFiles writes the three role files of a (not nil).
func roleFiles(root *os.Root, a *Analysis, roles []massgencfg.AgentRole) (files []artifact, notes, problems []string) {
	var gatherers, experts []string
	for _, r := range roles {
		switch r.Role {
		case massgencfg.Gatherer:
			gatherers = append(gatherers, r.Agent)
		case massgencfg.Expert:
			experts = append(experts, r.Agent)
		}
	}
	// The gatherer's answer, copied as it is (the first gatherer with one).
	name := roleArtifact(massgencfg.Gatherer)
	gatherer := ""
	for _, id := range gatherers {
		if _, ok := a.AgentAnswers[id]; ok {
			gatherer = id
			break
		}
	}
	if gatherer == "" {
		notes = append(notes, "no "+name+": the context information gatherer left no answer")
	} else if n, err := copyInRoot(root, a.AgentAnswers[gatherer], path.Join(artifactsDir, name)); err != nil {
		problems = append(problems, fmt.Sprintf("%s: copy %s: %v", name, a.AgentAnswers[gatherer], err))
	} else {
		files = append(files, artifact{name: name, size: n, what: "context and information gathered by " + gatherer})
	}

	// The experts' candidates, composed into one file.
	name = roleArtifact(massgencfg.Expert)
	var cand bytes.Buffer
	have := 0
	for _, id := range experts {
		if _, ok := a.AgentAnswers[id]; ok {
			have++
		}
	}
	k := 0
	for _, id := range experts {
		src, ok := a.AgentAnswers[id]
		if !ok {
			notes = append(notes, "no candidate from "+id+": it left no answer")
			continue
		}
		body, err := readInRoot(root, src, maxRoleAnswer)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: read %s: %v", name, src, err))
			continue
		}
		k++
		fmt.Fprintf(&cand, "=== candidate %d of %d: %s (%d bytes) ===\n", k, have, id, len(body))
		cand.Write(body)
		if len(body) > 0 && body[len(body)-1] != '\n' {
			cand.WriteByte('\n')
		}
	}
	if k > 0 {
		n, err := writeInRoot(root, path.Join(artifactsDir, name), &cand)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: write: %v", name, err))
		} else {
			files = append(files, artifact{name: name, size: n, what: fmt.Sprintf("%d candidate answers of the domain experts", k)})
		}
	} else if len(experts) > 0 {
		notes = append(notes, "no "+name+": no domain expert left an answer")
	}

	// Agents without a role (a hand-written config may mix them in) keep
	// the voting-mode name, so no answer is left out.
	for _, id := range slices.Sorted(maps.Keys(a.AgentAnswers)) {
		if _, ok := massgencfg.RoleOf(id); ok || !safeAgent(id) {
			continue
		}
		name := "answer_" + id + ".txt"
		if n, err := copyInRoot(root, a.AgentAnswers[id], path.Join(artifactsDir, name)); err != nil {
			problems = append(problems, fmt.Sprintf("%s: copy %s: %v", name, a.AgentAnswers[id], err))
		} else {
			files = append(files, artifact{name: name, size: n, what: "final answer of agent " + id + " (no role)"})
		}
	}

	// The final, synthesized answer.
	name = roleArtifact(massgencfg.Synthesizer)
	switch {
	case a.Winner == "":
		notes = append(notes, "no "+name+": MassGen selected no presenter")
	case a.FinalAnswer == "":
		notes = append(notes, "no "+name+": the presenter "+a.Winner+" left no final answer")
	default:
		n, err := copyInRoot(root, a.FinalAnswer, path.Join(artifactsDir, name))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: copy %s: %v", name, a.FinalAnswer, err))
			break
		}
		what := "final answer synthesized by " + a.Winner
		if r, ok := massgencfg.RoleOf(a.Winner); !ok || r != massgencfg.Synthesizer {
			what += " (not the final synthesizer, which left no answer)"
		}
		files = append(files, artifact{name: name, size: n, what: what})
	}
	return files, notes, problems
}

// readInRoot reads the regular file src below root, refusing a final
// symbolic link and anything but a regular file, as copyInRoot does; a
// file over limit bytes is an error.
func readInRoot(root *os.Root, src string, limit int64) ([]byte, error) {
	in, err := openInRoot(root, src)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	b, err := io.ReadAll(io.LimitReader(in, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
