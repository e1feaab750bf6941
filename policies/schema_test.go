package policies_test

import (
	"encoding/json"
	"slices"
	"testing"

	"cohos.dev/cohos/policies"
	"cohos.dev/cohos/policy"
)

// TestSchemaMatchesCatalogue: the JSON Schema's metric enums are exactly
// the catalogue's booleans and numbers, and the shipped policies fit it.
func TestSchemaMatchesCatalogue(t *testing.T) {
	var s struct {
		Defs map[string]struct {
			Properties map[string]struct {
				Enum []string `json:"enum"`
			} `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(policies.Schema(), &s); err != nil {
		t.Fatal(err)
	}
	var bools, nums []string
	for _, m := range policy.KnownMetrics() {
		if m.Type == "boolean" {
			bools = append(bools, m.Name)
		} else {
			nums = append(nums, m.Name)
		}
	}
	if got := s.Defs["booleanRule"].Properties["metric"].Enum; !slices.Equal(got, bools) {
		t.Errorf("schema booleans %v, catalogue %v", got, bools)
	}
	if got := s.Defs["numberRule"].Properties["metric"].Enum; !slices.Equal(got, nums) {
		t.Errorf("schema numbers %v, catalogue %v", got, nums)
	}
	for _, data := range [][]byte{policies.Default(), policies.Starter()} {
		p := parse(t, data)
		if err := policy.CheckKnown(p); err != nil {
			t.Errorf("shipped policy: %v", err)
		}
	}
}
