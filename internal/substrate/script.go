package substrate

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// MassGen's workflow tool names and the markers of its coordination prompt
// (massgen/message_templates.py, v0.1.91).
const (
	toolNewAnswer  = "new_answer"
	toolVote       = "vote"
	markOrigStart  = "<ORIGINAL MESSAGE>"
	markOrigEnd    = "<END OF ORIGINAL MESSAGE>"
	maxQuestionLen = 160
)

// answerLabel matches an answer block opening such as "<agent2.3>": the
// anonymous agent id and that agent's answer number.
var answerLabel = regexp.MustCompile(`<(agent[0-9]+)\.([0-9]+)>`)

// ownAnswer matches the presenter's own answer in MassGen's final
// presentation prompt: `agent_a (YOUR ANSWER): "..."` on one line.
var ownAnswer = regexp.MustCompile(`\(YOUR ANSWER\): "(.*)"`)

type replyKind int

const (
	replyText replyKind = iota
	replyNewAnswer
	replyVote
)

func (k replyKind) String() string {
	switch k {
	case replyNewAnswer:
		return toolNewAnswer
	case replyVote:
		return toolVote
	}
	return "text"
}

// reply is what the scripted model says: plain text, or one tool call with
// JSON arguments.
type reply struct {
	kind replyKind
	text string // content of a text reply
	args string // JSON arguments of a tool call
}

// dialogue is what the script reads from a request.
type dialogue struct {
	question     string
	hasNewAnswer bool
	hasVote      bool
	voteEnum     []string
	answers      map[string]int // anonymous agent id -> highest answer number listed
	ownAnswer    string         // the presenter's own answer in a final presentation
	synthesis    *synthesis     // a synthesize presentation (see synthesis.go), nil if not
}

// maxAnswer returns the highest answer number listed for any agent.
func (d dialogue) maxAnswer() int {
	m := 0
	for _, n := range d.answers {
		m = max(m, n)
	}
	return m
}

// totalAnswers returns the sum over agents of the highest answer number:
// how many answers the request says exist.
func (d dialogue) totalAnswers() int {
	t := 0
	for _, n := range d.answers {
		t += n
	}
	return t
}

func readDialogue(req *chatRequest) dialogue {
	d := dialogue{answers: map[string]int{}}
	for _, t := range req.Tools {
		switch t.Function.Name {
		case toolNewAnswer:
			d.hasNewAnswer = true
		case toolVote:
			d.hasVote = true
			d.voteEnum = t.enum("agent_id")
		}
	}
	lastUser := ""
	for _, m := range req.Messages {
		txt := m.text()
		if m.Role == "user" {
			lastUser = txt
		}
		if q, ok := between(txt, markOrigStart, markOrigEnd); ok {
			d.question = q
		}
		if m.Role == "system" {
			// MassGen's system prompt shows example labels such as
			// <agent1.2>; only the conversation lists real answers.
			continue
		}
		if sm := ownAnswer.FindStringSubmatch(txt); sm != nil {
			d.ownAnswer = sm[1]
		}
		if m.Role == "user" {
			if syn, ok := readSynthesis(txt); ok {
				d.synthesis = &syn
			}
		}
		for _, sm := range answerLabel.FindAllStringSubmatch(txt, -1) {
			n, err := strconv.Atoi(sm[2])
			if err != nil {
				continue // digits too long for an int: not a real label
			}
			d.answers[sm[1]] = max(d.answers[sm[1]], n)
		}
	}
	if d.question == "" {
		d.question = strings.TrimSpace(lastUser)
	}
	d.question = shorten(d.question, maxQuestionLen)
	return d
}

func between(s, start, end string) (string, bool) {
	i := strings.Index(s, start)
	if i < 0 {
		return "", false
	}
	rest := s[i+len(start):]
	j := strings.Index(rest, end)
	if j < 0 {
		return "", false
	}
	return strings.TrimSpace(rest[:j]), true
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}

// voteTarget returns the lowest-numbered anonymous agent id that the vote
// tool accepts and that has an answer listed; failing that, the first
// accepted id, or the lowest answered id when the tool has no enum.
func (d dialogue) voteTarget() string {
	answered := make([]string, 0, len(d.answers))
	for id := range d.answers {
		answered = append(answered, id)
	}
	sort.Slice(answered, func(i, j int) bool { return agentNumber(answered[i]) < agentNumber(answered[j]) })
	if len(d.voteEnum) == 0 {
		if len(answered) == 0 {
			return ""
		}
		return answered[0]
	}
	allowed := map[string]bool{}
	for _, id := range d.voteEnum {
		allowed[id] = true
	}
	for _, id := range answered {
		if allowed[id] {
			return id
		}
	}
	return d.voteEnum[0]
}

func agentNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "agent"))
	if err != nil {
		return int(^uint(0) >> 1)
	}
	return n
}

// decide is the script: the reply of profile p to the dialogue d. thrashK
// is how many answers an agent label may reach before Thrash gives up and
// votes; nonce makes Thrash answers differ from each other.
func decide(p Profile, d dialogue, thrashK int, nonce uint32) reply {
	model := p.Model()
	vote := toolReply(replyVote, map[string]string{
		"agent_id": d.voteTarget(),
		"reason":   fmt.Sprintf("[%s] scripted vote for the lowest answered agent", model),
	})
	if d.synthesis != nil && !d.hasVote {
		// A synthesize presentation (tools: new_answer or none).
		return synthesize(p, d)
	}
	switch {
	case d.hasNewAnswer && d.hasVote:
		if len(d.answers) == 0 {
			return toolReply(replyNewAnswer, map[string]string{
				"content": fmt.Sprintf("[%s] scripted rehearsal answer 1 to: %s", model, d.question),
			})
		}
		if p == Thrash && d.maxAnswer() < thrashK {
			return toolReply(replyNewAnswer, map[string]string{
				"content": fmt.Sprintf("[%s] scripted rehearsal answer %d (revision %08x) to: %s",
					model, d.totalAnswers()+1, nonce, d.question),
			})
		}
		return vote
	case d.hasVote:
		// new_answer withdrawn: the agent reached its answer limit.
		return vote
	case d.hasNewAnswer:
		// Final presentation: tools are only new_answer. Present the
		// agent's own answer unchanged when the prompt shows it.
		if d.ownAnswer != "" {
			return reply{kind: replyText, text: d.ownAnswer}
		}
		return reply{kind: replyText, text: fmt.Sprintf("[%s] scripted rehearsal final answer to: %s", model, d.question)}
	default:
		return reply{kind: replyText, text: fmt.Sprintf("[%s] scripted rehearsal reply to: %s", model, d.question)}
	}
}

func toolReply(kind replyKind, args map[string]string) reply {
	b, err := json.Marshal(args)
	if err != nil {
		// A map of strings always marshals; keep the zero-value path total.
		b = []byte("{}")
	}
	return reply{kind: kind, args: string(b)}
}
