package main

import (
	"encoding/json"
	"strings"
	"testing"

	"muxado-interop/linked"
)

// Self-test of the oracle's verdicts on vectors whose Go behaviour is known:
// a GOAWAY with nothing after it (Go before v2.0.2 waits for 8 more bytes,
// INTEROP-1) and DATA with the reserved bit set (Go keeps the bit,
// INTEROP-7), each with a correct note, a stale note and a wrong note.
//
// checks: [INTEROP-1] [INTEROP-7]
func TestVerdicts(t *testing.T) {
	const goaway = `"hex": "00 00 0b 30 00 00 00 00 00 00 00 00 00 00 00 00 62 79 65", "result": "valid",
		"frames": [{"type": "GOAWAY", "stream_id": 0, "flags": 0, "length": 11, "last_stream_id": 0, "error_code": 0, "debug": "627965"}]`
	const reserved = `"hex": "00 00 01 10 80 00 00 03 78", "result": "acceptable", "flags": ["ReservedBitSet"],
		"frames": [{"type": "DATA", "stream_id": 3, "flags": 0, "length": 1, "payload": "78"}]`
	const incomplete8 = `"frames": [], "incomplete": {"needed": 8}`
	const keepsBit = `"frames": [{"type": "DATA", "stream_id": 2147483651, "flags": 0, "length": 1, "payload": "78"}]`

	for _, impl := range linked.Impls() {
		old := map[string]bool{"2016": true, "v2.0.1": true, "v2.0.2": false}
		isOld, known := old[impl.Version]
		if !known {
			t.Fatalf("no expectation recorded for Go version %q", impl.Version)
		}
		goawayAgree, goawayNoted := "agree", "DISAGREE"
		if isOld {
			goawayAgree, goawayNoted = "DISAGREE", "agree-by-note"
		}
		cases := []struct {
			name, body, want, reason string
		}{
			{"goaway-no-note", goaway, goawayAgree, "no go note"},
			{"goaway-note", goaway + `, "go": [{"versions": ["` + impl.Version + `"], "note": "INTEROP-1", ` + incomplete8 + `}]`,
				goawayNoted, "stale INTEROP-1 note"},
			{"reserved-no-note", reserved, "DISAGREE", "no go note"},
			{"reserved-note", reserved + `, "go": [{"versions": ["` + impl.Version + `"], "note": "INTEROP-7", ` + keepsBit + `}]`,
				"agree-by-note", ""},
			{"reserved-wrong-note", reserved + `, "go": [{"versions": ["` + impl.Version + `"], "note": "INTEROP-7", ` + incomplete8 + `}]`,
				"DISAGREE", "INTEROP-7 note does not match Go"},
		}
		for _, c := range cases {
			var v vector
			src := `{"id": "x", "description": "x", "requirements": ["FRAME-1"], ` + c.body + `}`
			if err := json.Unmarshal([]byte(src), &v); err != nil {
				t.Fatalf("%s: bad test vector: %v", c.name, err)
			}
			got, d, problem := check(&v, impl)
			if problem != "" {
				t.Fatalf("%s %s: problem %s", impl.Version, c.name, problem)
			}
			if got != c.want {
				t.Errorf("%s %s: verdict %s, want %s (Go: %s)", impl.Version, c.name, got, c.want, d.Go)
			}
			if got == "DISAGREE" && !strings.Contains(d.Reason, c.reason) {
				t.Errorf("%s %s: reason %q, want it to mention %q", impl.Version, c.name, d.Reason, c.reason)
			}
		}
	}
}
