package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"muxado-interop/linked"
	"muxado-interop/upstream"
)

// The JSON shapes of vectors/frame-vectors.schema.json (schema version 1).

type vectorFile struct {
	Schema        string   `json:"schema"`
	SchemaVersion int      `json:"schema_version"`
	Title         string   `json:"title"`
	Vectors       []vector `json:"vectors"`
}

type fill struct {
	Byte  string `json:"byte"`
	Count int    `json:"count"`
}

type codeError struct {
	Requirement string `json:"requirement"`
	Code        string `json:"code"`
}

type classError struct {
	Class string `json:"class"`
}

type incomplete struct {
	Needed int `json:"needed"`
}

type vector struct {
	ID           string       `json:"id"`
	Description  string       `json:"description"`
	Requirements []string     `json:"requirements"`
	Hex          string       `json:"hex"`
	Fill         *fill        `json:"fill"`
	Result       string       `json:"result"`
	Flags        []string     `json:"flags"`
	Encoded      string       `json:"encoded"` // encoder expectation; framecheck only decodes
	Frames       []jsonFrame  `json:"frames"`
	Incomplete   *incomplete  `json:"incomplete"`
	Error        *codeError   `json:"error"`
	Go           []goDeviance `json:"go"`
}

type goDeviance struct {
	Versions   []string    `json:"versions"`
	Note       string      `json:"note"`
	Frames     []jsonFrame `json:"frames"`
	Incomplete *incomplete `json:"incomplete"`
	Error      *classError `json:"error"`
}

type jsonFrame struct {
	Type         string  `json:"type"`
	StreamID     uint32  `json:"stream_id"`
	Flags        uint8   `json:"flags"`
	Length       uint32  `json:"length"`
	ErrorCode    *uint32 `json:"error_code"`
	Increment    *uint32 `json:"increment"`
	LastStreamID *uint32 `json:"last_stream_id"`
	TypeCode     *uint8  `json:"type_code"`
	Payload      *string `json:"payload"`
	PayloadFill  *fill   `json:"payload_fill"`
	Debug        *string `json:"debug"`
	DebugFill    *fill   `json:"debug_fill"`
}

// Outcome ends.
const (
	endDone       = "done"
	endIncomplete = "incomplete"
)

// frame is a decoded frame in the form both sides of a comparison use.
type frame struct {
	Type         uint8
	StreamID     uint32
	Flags        uint8
	Length       uint32
	ErrorCode    uint32
	Increment    uint32
	LastStreamID uint32
	Body         []byte // DATA and unknown payload, GOAWAY debug data
}

// outcome is what a decoder did with one input: the frames it yielded, then
// how it stopped: endDone, endIncomplete, an error class (ClassFrameSize,
// ClassProtocol or, for expectations, any SPEC error-code name), or "error"
// for anything else Go returned.
type outcome struct {
	Frames []frame
	End    string
	Detail string // Go's error text, for the report
}

func loadFile(path string) (*vectorFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var vf vectorFile
	if err := dec.Decode(&vf); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if vf.Schema != "muxado-frame-vectors" || vf.SchemaVersion != 1 {
		return nil, fmt.Errorf("%s: not a muxado-frame-vectors file of schema_version 1", path)
	}
	if len(vf.Vectors) == 0 {
		return nil, fmt.Errorf("%s: no vectors", path)
	}
	return &vf, nil
}

func decodeHex(s string) ([]byte, error) {
	return hex.DecodeString(strings.ReplaceAll(s, " ", ""))
}

func (f *fill) expand() ([]byte, error) {
	b, err := hex.DecodeString(f.Byte)
	if err != nil || len(b) != 1 {
		return nil, fmt.Errorf("fill byte %q is not one hex byte", f.Byte)
	}
	if f.Count < 0 || f.Count > 0xFFFFFF {
		return nil, fmt.Errorf("fill count %d out of range", f.Count)
	}
	return bytes.Repeat(b, f.Count), nil
}

// input returns the vector's input bytes: hex, then fill.
func (v *vector) input() ([]byte, error) {
	b, err := decodeHex(v.Hex)
	if err != nil {
		return nil, fmt.Errorf("hex: %v", err)
	}
	if v.Fill != nil {
		f, err := v.Fill.expand()
		if err != nil {
			return nil, err
		}
		b = append(b, f...)
	}
	return b, nil
}

var typeNames = map[string]uint8{
	"RST": upstream.TypeRST, "DATA": upstream.TypeDATA,
	"WNDINC": upstream.TypeWNDINC, "GOAWAY": upstream.TypeGOAWAY,
}

func bodyOf(h *string, f *fill, what string) ([]byte, error) {
	switch {
	case h != nil && f != nil:
		return nil, fmt.Errorf("both %s and %s_fill", what, what)
	case h != nil:
		return decodeHex(*h)
	case f != nil:
		return f.expand()
	}
	return nil, fmt.Errorf("no %s", what)
}

func u32(p *uint32) uint32 {
	if p == nil {
		return 0
	}
	return *p
}

func (j *jsonFrame) toFrame() (frame, error) {
	f := frame{StreamID: j.StreamID, Flags: j.Flags, Length: j.Length}
	var err error
	switch j.Type {
	case "UNKNOWN":
		if j.TypeCode == nil || *j.TypeCode < 4 || *j.TypeCode > 15 {
			return f, fmt.Errorf("UNKNOWN frame needs type_code 4..15")
		}
		f.Type = *j.TypeCode
		f.Body, err = bodyOf(j.Payload, j.PayloadFill, "payload")
	case "RST":
		f.ErrorCode = u32(j.ErrorCode)
	case "DATA":
		f.Type = upstream.TypeDATA
		f.Body, err = bodyOf(j.Payload, j.PayloadFill, "payload")
	case "WNDINC":
		f.Type = upstream.TypeWNDINC
		f.Increment = u32(j.Increment)
	case "GOAWAY":
		f.Type = upstream.TypeGOAWAY
		f.LastStreamID = u32(j.LastStreamID)
		f.ErrorCode = u32(j.ErrorCode)
		f.Body, err = bodyOf(j.Debug, j.DebugFill, "debug")
	default:
		return f, fmt.Errorf("unknown frame type %q", j.Type)
	}
	if err != nil {
		return f, fmt.Errorf("%s frame: %v", j.Type, err)
	}
	if f.Type == upstream.TypeRST || f.Type == upstream.TypeGOAWAY {
		if j.ErrorCode == nil {
			return f, fmt.Errorf("%s frame without error_code", j.Type)
		}
	}
	return f, nil
}

func toFrames(js []jsonFrame) ([]frame, error) {
	out := make([]frame, 0, len(js))
	for i := range js {
		f, err := js[i].toFrame()
		if err != nil {
			return nil, fmt.Errorf("frame %d: %v", i, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// expected returns the vector's own expectation.
func (v *vector) expected() (outcome, error) {
	var o outcome
	var err error
	if o.Frames, err = toFrames(v.Frames); err != nil {
		return o, err
	}
	switch v.Result {
	case "invalid":
		if v.Error == nil || v.Incomplete != nil {
			return o, fmt.Errorf("invalid vector needs error and no incomplete")
		}
		o.End = v.Error.Code
	case "valid", "acceptable":
		if v.Error != nil {
			return o, fmt.Errorf("%s vector has an error", v.Result)
		}
		if v.Result == "acceptable" && len(v.Flags) == 0 {
			return o, fmt.Errorf("acceptable vector without flags")
		}
		o.End = endDone
		if v.Incomplete != nil {
			o.End = endIncomplete
		}
	default:
		return o, fmt.Errorf("unknown result %q", v.Result)
	}
	return o, nil
}

// deviance returns the `go` entry naming version, if any, checking that no
// version is named twice and every version is known.
func (v *vector) deviance(version string) (*goDeviance, error) {
	var found *goDeviance
	seen := map[string]bool{}
	for i := range v.Go {
		d := &v.Go[i]
		if !strings.HasPrefix(d.Note, "INTEROP-") {
			return nil, fmt.Errorf("go entry %d: note %q is not an INTEROP-N id", i, d.Note)
		}
		if d.Error != nil && d.Incomplete != nil {
			return nil, fmt.Errorf("go entry %d has both error and incomplete", i)
		}
		for _, ver := range d.Versions {
			if !contains(linked.KnownVersions, ver) {
				return nil, fmt.Errorf("go entry %d: unknown version %q", i, ver)
			}
			if seen[ver] {
				return nil, fmt.Errorf("version %s named by two go entries", ver)
			}
			seen[ver] = true
			if ver == version {
				found = d
			}
		}
	}
	return found, nil
}

func (d *goDeviance) expected() (outcome, error) {
	var o outcome
	var err error
	if o.Frames, err = toFrames(d.Frames); err != nil {
		return o, err
	}
	switch {
	case d.Error != nil:
		if d.Error.Class != upstream.ClassFrameSize && d.Error.Class != upstream.ClassProtocol {
			return o, fmt.Errorf("go error class %q", d.Error.Class)
		}
		o.End = d.Error.Class
	case d.Incomplete != nil:
		o.End = endIncomplete
	default:
		o.End = endDone
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
