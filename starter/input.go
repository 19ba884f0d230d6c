package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/contactcenter/numberporting/porting"
)

// readInput reads the file named by --file, or standard input for "-".
func (a *app) readInput(file string) ([]byte, error) {
	if file == "" {
		return nil, badInput("--file: is required (a JSON file, or - for standard input)")
	}
	if file == "-" {
		b, err := io.ReadAll(a.stdin)
		if err != nil {
			return nil, failure(err, "read standard input: %v", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, badInput("--file: %s does not exist", file)
		}
		return nil, badInput("--file: cannot read %s: %v", file, err)
	}
	return b, nil
}

func inputName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// decodeStrict decodes one JSON object into v, refusing unknown fields, wrong types and trailing
// data. Its errors are bad input that name the field (or the position) and the rule.
func decodeStrict(data []byte, v any, name string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return badInput("%s: is empty, expected a JSON object", name)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(data, name, err, dec.InputOffset())
	}
	if _, err := dec.Token(); err != io.EOF {
		line, col := position(data, dec.InputOffset())
		return badInput("%s: line %d, column %d: unexpected data after the JSON object", name, line, col)
	}
	return nil
}

func jsonError(data []byte, name string, err error, offset int64) error {
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		timeErr  *time.ParseError
		fieldErr string
	)
	switch {
	case errors.As(err, &syntax):
		// Offset is just past the offending byte.
		line, col := position(data, syntax.Offset-1)
		return badInput("%s: line %d, column %d: malformed JSON: %s", name, line, col, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badInput("%s: malformed JSON: unexpected end of input", name)
	case errors.As(err, &typeErr):
		line, col := position(data, typeErr.Offset)
		field := typeErr.Field
		if field == "" {
			field = "(top level)"
		}
		return badInput("%s: line %d, column %d: %s: must be %s, got JSON %s", name, line, col, field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &timeErr):
		line, col := position(data, offset)
		return badInput("%s: line %d, column %d: a time must be RFC 3339 with offset, e.g. 2026-11-20T10:00:00-05:00; got %q", name, line, col, timeErr.Value)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		fieldErr = strings.Trim(f, `"`)
		// The decoder reports the end of the enclosing value; point at the key itself when it can be found.
		key := regexp.MustCompile(`"` + regexp.QuoteMeta(fieldErr) + `"\s*:`)
		if loc := key.FindIndex(data); loc != nil {
			offset = int64(loc[0])
		}
		line, col := position(data, offset)
		return badInput("%s: line %d, column %d: %s: unknown field (not part of the contract; check the spelling)", name, line, col, fieldErr)
	}
	return badInput("%s: %s", name, strings.TrimPrefix(msg, "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "int32", "float64", "float32", "uint", "uint64", "uint32":
		return "a number"
	}
	return "of Go kind " + goKind
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// invalid turns a porting.ValidationError into bad input listing its problems as "field: rule", one
// a line: the first porting.MaxProblemsShown, then how many more (a 20,000-number file may have
// thousands).
func invalid(what string, err error) error {
	var v *porting.ValidationError
	if !errors.As(err, &v) {
		return badInput("%s: %v", what, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s:\n", what)
	writeProblems(&b, v.Problems)
	return &cliError{code: exitBadInput, msg: strings.TrimRight(b.String(), "\n"), err: err}
}

// writeProblems writes the first porting.MaxProblemsShown problems, "  field: rule" a line, and a
// line counting the others.
func writeProblems(w io.Writer, problems []porting.FieldError) {
	for _, p := range problems[:min(len(problems), porting.MaxProblemsShown)] {
		fmt.Fprintf(w, "  %s: %s\n", p.Field, p.Rule)
	}
	if more := porting.MoreProblems(len(problems)); more != "" {
		fmt.Fprintf(w, "  %s\n", more)
	}
}
