package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem makes a document invalid.
type Severity string

const (
	// SeverityError marks a document Backstage would reject.
	SeverityError Severity = "error"
	// SeverityWarning marks something suspicious that Backstage accepts,
	// such as an owner that does not exist.
	SeverityWarning Severity = "warning"
)

// Problem is one thing wrong with a descriptor file, located precisely enough
// for an editor or CI annotation to jump to it.
type Problem struct {
	File     string   `json:"file"`
	Doc      int      `json:"doc"` // 0-based document index; -1 for the whole file
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Severity Severity `json:"severity"`
	Kind     string   `json:"kind"`
	Name     string   `json:"name"`
	Field    string   `json:"field"`
	Message  string   `json:"message"`
	// Code marks problems that involve several files (see CodeDangling,
	// CodeConflict, CodeLocation); they are worked out afresh on each load.
	Code string `json:"code,omitempty"`
}

// String renders "file:line:col: kind "name": message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, max(p.Column, 1))
	}
	b.WriteString(": ")
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if p.Kind != "" || p.Name != "" {
		kind := strings.ToLower(p.Kind)
		if kind == "" {
			kind = "entity"
		}
		if p.Name != "" {
			fmt.Fprintf(&b, "%s %q: ", kind, p.Name)
		} else {
			fmt.Fprintf(&b, "%s: ", kind)
		}
	}
	b.WriteString(p.Message)
	return b.String()
}

// IsError reports whether the problem invalidates its document.
func (p Problem) IsError() bool { return p.Severity == SeverityError }

// Problems is a list of problems with helpers for reporting.
type Problems []Problem

// Errors counts the problems of error severity.
func (ps Problems) Errors() int {
	n := 0
	for _, p := range ps {
		if p.IsError() {
			n++
		}
	}
	return n
}

// Sort orders problems by file, line and column, keeping the order of
// problems at the same place.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}
