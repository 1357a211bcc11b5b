// Command framecheck runs the frame vectors (vectors/frames/*.json) through
// the framer of every linked Go muxado version and reports, per file and
// version, where Go agrees with a vector, agrees with the vector's `go` note
// for that version, or disagrees.
//
// Usage:
//
//	go run ./cmd/framecheck [-v] [-json FILE] DIR_OR_FILE...
//	go run -modfile=go.v2.0.1.mod ./cmd/framecheck ...
//
// A directory stands for the *.json files in it. The exit status is 1 when Go
// disagrees with a vector that has no note for its version, when a note does
// not match what Go does, when a note is stale (Go does what the vector itself
// expects), or when a file cannot be read; 2 on a usage error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"muxado-interop/linked"
	"muxado-interop/upstream"
)

// out receives the human-readable report.
var out io.Writer = os.Stdout

type counts struct {
	Agree       int `json:"agree"`
	AgreeByNote int `json:"agree_by_note"`
	Disagree    int `json:"disagree"`
}

type disagreement struct {
	File     string `json:"file"`
	ID       string `json:"id"`
	Version  string `json:"version"`
	Reason   string `json:"reason"`
	Expected string `json:"expected"`
	Go       string `json:"go"`
}

type fileSummary struct {
	Path    string             `json:"path"`
	Title   string             `json:"title"`
	Vectors int                `json:"vectors"`
	Counts  map[string]*counts `json:"counts"`
}

type summary struct {
	Versions      []string           `json:"versions"`
	Files         []fileSummary      `json:"files"`
	Totals        map[string]*counts `json:"totals"`
	Disagreements []disagreement     `json:"disagreements"`
	Problems      []string           `json:"problems"`
	OK            bool               `json:"ok"`
}

func main() {
	verbose := flag.Bool("v", false, "print the result of every vector for every version")
	jsonOut := flag.String("json", "", "also write a JSON summary to this file (\"-\" for stdout)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: framecheck [-v] [-json FILE] DIR_OR_FILE...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}

	if *jsonOut == "-" {
		out = os.Stderr // keep stdout for the JSON
	}

	impls := linked.Impls()
	sum := summary{Totals: map[string]*counts{}}
	for _, impl := range impls {
		sum.Versions = append(sum.Versions, impl.Version)
		sum.Totals[impl.Version] = &counts{}
	}
	fmt.Fprintf(out, "framecheck: Go framers linked: %s\n", strings.Join(sum.Versions, ", "))
	for _, v := range sum.Versions {
		if !contains(linked.KnownVersions, v) {
			sum.Problems = append(sum.Problems, fmt.Sprintf("linked version %q is not one the vectors know", v))
		}
	}

	files, err := collect(flag.Args())
	if err != nil {
		sum.Problems = append(sum.Problems, err.Error())
	} else if len(files) == 0 {
		sum.Problems = append(sum.Problems, "no vector files found in "+strings.Join(flag.Args(), " "))
	}

	ids := map[string]string{}
	nVectors := 0
	for _, path := range files {
		vf, err := loadFile(path)
		if err != nil {
			sum.Problems = append(sum.Problems, err.Error())
			fmt.Fprintf(out, "\n== %s: cannot load: %v\n", path, err)
			continue
		}
		fs := fileSummary{Path: path, Title: vf.Title, Vectors: len(vf.Vectors), Counts: map[string]*counts{}}
		for _, impl := range impls {
			fs.Counts[impl.Version] = &counts{}
		}
		var lines []string
		for i := range vf.Vectors {
			v := &vf.Vectors[i]
			nVectors++
			if prev, dup := ids[v.ID]; dup {
				sum.Problems = append(sum.Problems, fmt.Sprintf("%s: vector id %q already used in %s", path, v.ID, prev))
			}
			ids[v.ID] = path
			for _, impl := range impls {
				res, d, problem := check(v, impl)
				if problem != "" {
					sum.Problems = append(sum.Problems, fmt.Sprintf("%s: %s: %s", path, v.ID, problem))
					lines = append(lines, fmt.Sprintf("   BAD VECTOR %s: %s", v.ID, problem))
					break
				}
				c, t := fs.Counts[impl.Version], sum.Totals[impl.Version]
				switch res {
				case "agree":
					c.Agree++
					t.Agree++
				case "agree-by-note":
					c.AgreeByNote++
					t.AgreeByNote++
				default:
					c.Disagree++
					t.Disagree++
					d.File = path
					sum.Disagreements = append(sum.Disagreements, *d)
					lines = append(lines,
						fmt.Sprintf("   DISAGREE %-7s %s: %s", impl.Version, v.ID, d.Reason),
						"      expected: "+d.Expected,
						"      Go:       "+d.Go)
					continue
				}
				if *verbose {
					lines = append(lines, fmt.Sprintf("   %-13s %-7s %s: %s", res, impl.Version, v.ID, d.Go))
				}
			}
		}
		sum.Files = append(sum.Files, fs)
		fmt.Fprintf(out, "\n== %s: %q, %d vectors\n", path, vf.Title, len(vf.Vectors))
		printCounts(sum.Versions, fs.Counts)
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}

	fmt.Fprintf(out, "\n== total: %d files, %d vectors\n", len(sum.Files), nVectors)
	printCounts(sum.Versions, sum.Totals)
	for _, p := range sum.Problems {
		fmt.Fprintf(out, "   PROBLEM: %s\n", p)
	}
	sum.OK = len(sum.Disagreements) == 0 && len(sum.Problems) == 0
	if *jsonOut != "" {
		writeJSON(*jsonOut, &sum)
	}
	if !sum.OK {
		fmt.Fprintf(out, "framecheck: FAILED (%d disagreements, %d problems)\n", len(sum.Disagreements), len(sum.Problems))
		os.Exit(1)
	}
	fmt.Fprintln(out, "framecheck: OK")
}

// check runs one vector through one implementation. It returns the verdict
// ("agree", "agree-by-note" or "DISAGREE") with a description, or a problem
// with the vector itself.
func check(v *vector, impl upstream.Impl) (string, *disagreement, string) {
	input, err := v.input()
	if err != nil {
		return "", nil, err.Error()
	}
	want, err := v.expected()
	if err != nil {
		return "", nil, err.Error()
	}
	dev, err := v.deviance(impl.Version)
	if err != nil {
		return "", nil, err.Error()
	}
	got := runGo(impl, input)
	d := &disagreement{ID: v.ID, Version: impl.Version, Expected: want.String(), Go: got.String()}
	mainDiff := diff(want, got)
	if dev == nil {
		if mainDiff == "" {
			return "agree", d, ""
		}
		d.Reason = mainDiff + " (no go note for this version)"
		return "DISAGREE", d, ""
	}
	devWant, err := dev.expected()
	if err != nil {
		return "", nil, fmt.Sprintf("go entry for %s: %v", impl.Version, err)
	}
	if mainDiff == "" {
		d.Reason = fmt.Sprintf("stale %s note: Go does what the vector itself expects", dev.Note)
		d.Expected = devWant.String() + " (per " + dev.Note + " note)"
		return "DISAGREE", d, ""
	}
	if devDiff := diff(devWant, got); devDiff != "" {
		d.Reason = fmt.Sprintf("%s note does not match Go: %s", dev.Note, devDiff)
		d.Expected = devWant.String() + " (per " + dev.Note + " note)"
		return "DISAGREE", d, ""
	}
	d.Go += " (" + dev.Note + ")"
	return "agree-by-note", d, ""
}

func collect(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		sort.Strings(m)
		files = append(files, m...)
	}
	return files, nil
}

func printCounts(versions []string, c map[string]*counts) {
	for _, v := range versions {
		x := c[v]
		fmt.Fprintf(out, "   %-7s agree %4d   agree-by-note %4d   DISAGREE %4d\n", v, x.Agree, x.AgreeByNote, x.Disagree)
	}
}

func writeJSON(path string, s *summary) {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "framecheck:", err)
		os.Exit(1)
	}
	data = append(data, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(data)
	} else {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "framecheck:", err)
		os.Exit(1)
	}
}
