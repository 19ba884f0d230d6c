package deploy

import (
	"fmt"
	"regexp"
	"strings"
)

// A small PromQL reader for the tests: not a parser (promtool is the parser, when present: see
// TestPromtool), but enough to check brackets and strings, durations, function names, and to find
// every metric, label matcher and grouping label an expression names, so that each can be checked
// against what the worker exports. Grafana's variables must be substituted first.

type tokenKind int

const (
	tokIdent tokenKind = iota
	tokString
	tokNumber // numbers and durations: 0.95, 1800, 15m, 1h30m
	tokPunct  // ( ) { } [ ] , and operators
)

type tok struct {
	kind tokenKind
	text string // a string's value, unquoted
}

var punct = []string{"=~", "!~", "!=", "==", ">=", "<=", "=", ">", "<", "+", "-", "*", "/", "%", "^",
	",", "(", ")", "{", "}", "[", "]", ":", "@"}

func lex(expr string) ([]tok, error) {
	var toks []tok
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			var b strings.Builder
			for ; j < len(expr) && expr[j] != c; j++ {
				if expr[j] == '\\' && c != '`' && j+1 < len(expr) {
					j++
				}
				b.WriteByte(expr[j])
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			toks = append(toks, tok{tokString, b.String()})
			i = j + 1
		case isDigit(c) || (c == '.' && i+1 < len(expr) && isDigit(expr[i+1])):
			j := i
			for j < len(expr) && (isDigit(expr[j]) || isLetter(expr[j]) || expr[j] == '.') {
				j++
			}
			toks = append(toks, tok{tokNumber, expr[i:j]})
			i = j
		case isLetter(c) || c == '_' || c == ':':
			j := i
			for j < len(expr) && (isLetter(expr[j]) || isDigit(expr[j]) || expr[j] == '_' || expr[j] == ':') {
				j++
			}
			toks = append(toks, tok{tokIdent, expr[i:j]})
			i = j
		default:
			matched := false
			for _, p := range punct {
				if strings.HasPrefix(expr[i:], p) {
					toks = append(toks, tok{tokPunct, p})
					i += len(p)
					matched = true
					break
				}
			}
			if !matched {
				return nil, fmt.Errorf("unexpected %q at %d", c, i)
			}
		}
	}
	return toks, nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

var (
	durationRE = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	numberRE   = regexp.MustCompile(`^([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+)$`)
)

var functions = set("abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
	"avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time",
	"day_of_month", "day_of_week", "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor",
	"histogram_avg", "histogram_count", "histogram_fraction", "histogram_quantile", "histogram_stddev",
	"histogram_stdvar", "histogram_sum", "hour", "idelta", "increase", "irate", "label_join", "label_replace",
	"last_over_time", "ln", "log10", "log2", "mad_over_time", "max_over_time", "min_over_time", "minute", "month",
	"pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar",
	"sgn", "sin", "sinh", "sort", "sort_by_label", "sort_by_label_desc", "sort_desc", "sqrt", "stddev_over_time",
	"stdvar_over_time", "sum_over_time", "tan", "tanh", "time", "timestamp", "vector", "year")

var aggregations = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
	"bottomk", "topk", "quantile", "limitk", "limit_ratio")

var keywords = set("by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
	"and", "or", "unless", "atan2", "inf", "nan", "Inf", "NaN")

var groupings = set("by", "without", "on", "ignoring", "group_left", "group_right")

// matcher is one label matcher of a selector: metric{label op "value"}.
type matcher struct{ metric, label, op, value string }

// query is what an expression names.
type query struct {
	metrics   []string // series names selected
	matchers  []matcher
	grouping  []string // labels of by/without/on/ignoring/group_left/group_right
	functions []string
}

// readQuery checks expr's structure and returns what it names.
func readQuery(expr string) (query, error) {
	var q query
	if strings.Contains(expr, "$") {
		return q, fmt.Errorf("unsubstituted variable in %q", expr)
	}
	toks, err := lex(expr)
	if err != nil {
		return q, err
	}
	if len(toks) == 0 {
		return q, fmt.Errorf("empty expression")
	}
	type frame struct {
		open     string
		metric   string // for {: the metric selected
		grouping bool   // for (: a label list after by/without/...
	}
	var stack []frame
	closer := map[string]string{")": "(", "}": "{", "]": "["}
	next := func(i int) tok {
		if i+1 < len(toks) {
			return toks[i+1]
		}
		return tok{kind: tokPunct}
	}
	prev := func(i int) tok {
		if i > 0 {
			return toks[i-1]
		}
		return tok{kind: tokPunct}
	}
	top := func() frame {
		if len(stack) == 0 {
			return frame{}
		}
		return stack[len(stack)-1]
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tokPunct:
			switch t.text {
			case "(", "{", "[":
				f := frame{open: t.text}
				if t.text == "(" && prev(i).kind == tokIdent && groupings[prev(i).text] {
					f.grouping = true
				}
				if t.text == "{" {
					if p := prev(i); p.kind == tokIdent && !keywords[p.text] {
						f.metric = p.text
					} else {
						return q, fmt.Errorf("a selector without a metric name: {…} at token %d", i)
					}
				}
				if t.text == "[" {
					// A range [5m] or a subquery [1h:5m].
					j := i + 1
					for ; j < len(toks) && toks[j].text != "]"; j++ {
						if toks[j].kind == tokNumber && !durationRE.MatchString(toks[j].text) {
							return q, fmt.Errorf("bad duration %q", toks[j].text)
						}
						if toks[j].kind != tokNumber && toks[j].text != ":" {
							return q, fmt.Errorf("unexpected %q in a range", toks[j].text)
						}
					}
					if j == i+1 {
						return q, fmt.Errorf("empty range []")
					}
				}
				stack = append(stack, f)
			case ")", "}", "]":
				if len(stack) == 0 || stack[len(stack)-1].open != closer[t.text] {
					return q, fmt.Errorf("unbalanced %q at token %d", t.text, i)
				}
				stack = stack[:len(stack)-1]
			}
		case tokNumber:
			if prev(i).text == "offset" || top().open == "[" {
				if !durationRE.MatchString(t.text) {
					return q, fmt.Errorf("bad duration %q", t.text)
				}
			} else if !numberRE.MatchString(t.text) {
				return q, fmt.Errorf("bad number %q", t.text)
			}
		case tokString:
			if top().open != "{" && top().open != "(" {
				return q, fmt.Errorf("string %q outside a selector or a call", t.text)
			}
		case tokIdent:
			f := top()
			switch {
			case f.open == "{":
				op, val := next(i), tok{}
				if i+2 < len(toks) {
					val = toks[i+2]
				}
				if op.kind != tokPunct || !set("=", "!=", "=~", "!~")[op.text] || val.kind != tokString {
					return q, fmt.Errorf("bad matcher after %s{%s", f.metric, t.text)
				}
				if op.text == "=~" || op.text == "!~" {
					if _, err := regexp.Compile("^(?:" + val.text + ")$"); err != nil {
						return q, fmt.Errorf("bad regexp %q: %v", val.text, err)
					}
				}
				q.matchers = append(q.matchers, matcher{f.metric, t.text, op.text, val.text})
				i += 2
			case f.grouping:
				q.grouping = append(q.grouping, t.text)
			case next(i).text == "(" && next(i).kind == tokPunct:
				if !functions[t.text] && !aggregations[t.text] && !groupings[t.text] {
					return q, fmt.Errorf("unknown function %s", t.text)
				}
				if !groupings[t.text] {
					q.functions = append(q.functions, t.text)
				}
			case aggregations[t.text] && (next(i).text == "by" || next(i).text == "without"):
				q.functions = append(q.functions, t.text)
			case keywords[t.text]:
			default:
				q.metrics = append(q.metrics, t.text)
			}
		}
	}
	if len(stack) != 0 {
		return q, fmt.Errorf("unclosed %q", stack[len(stack)-1].open)
	}
	return q, nil
}

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
