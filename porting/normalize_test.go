package porting

import "testing"

func TestNormalizeText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"José", "José"},
		{"Jose\u0301", "José"}, // NFD → NFC
		{"  ACME  Corp ", "ACME Corp"},
		{"1 Main St\t\tNew York\n NY", "1 Main St New York NY"},
		{"a\u00a0b", "a b"}, // no-break space
		{"", ""},
		{" \t\n", ""},
		{"Müller", "Müller"},
	} {
		if got := NormalizeText(tc.in); got != tc.want {
			t.Errorf("NormalizeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSameText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"José", "Jose\u0301", true},
		{"ACME  Corp ", "acme corp", true},
		{"José Müller", "  JOSE\u0301   mu\u0308ller\t", true},
		{"1 Main St,\nNew York", "1 main st, new york", true},
		{"billing@doe.example", "Billing@Doe.Example ", true},
		{"José", "Jose", false},        // an accent is a letter
		{"Main St.", "Main St", false}, // punctuation counts
		{"Doe Holdings", "Doe Holding", false},
		{"", "x", false},
		{"", "  ", true},
	} {
		if got := SameText(tc.a, tc.b); got != tc.want {
			t.Errorf("SameText(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestNormalizePortIn(t *testing.T) {
	t.Parallel()
	num := func(e164, typ, carrier string) PortNumber { return PortNumber{E164: e164, Type: typ, Carrier: carrier} }
	for _, tc := range []struct {
		name   string
		in     []PortNumber
		want   []string // carriers after
		groups []string // distinct group names, in order
	}{
		{"case and trailing space", []PortNumber{num("+12125550100", "did", "Acme Telecom"), num("+12125550101", "did", "acme telecom ")},
			[]string{"Acme Telecom", "Acme Telecom"}, []string{"Acme Telecom/did"}},
		{"first occurrence's spelling wins", []PortNumber{num("+12125550100", "did", "  ACME   telecom"), num("+12125550101", "toll_free", "Acme Telecom")},
			[]string{"ACME telecom", "ACME telecom"}, []string{"ACME telecom/did", "ACME telecom/toll_free"}},
		{"NFD and tabs", []PortNumber{num("+12125550100", "did", "T\u00e9l\u00e9com Qu\u00e9bec"), num("+12125550101", "did", "Te\u0301le\u0301com\tQUE\u0301BEC")},
			[]string{"T\u00e9l\u00e9com Qu\u00e9bec", "T\u00e9l\u00e9com Qu\u00e9bec"}, []string{"T\u00e9l\u00e9com Qu\u00e9bec/did"}},
		{"different carriers stay apart", []PortNumber{num("+12125550100", "did", "Acme"), num("+12125550101", "did", "Acme Telecom"), num("+12125550102", "did", "acme")},
			[]string{"Acme", "Acme Telecom", "Acme"}, []string{"Acme/did", "Acme Telecom/did"}},
		{"empty stays empty for validation", []PortNumber{num("+12125550100", "did", "  ")}, []string{""}, []string{"/did"}},
		{"no numbers", nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := PortInRequest{RequestID: "r", Numbers: tc.in}
			orig := append([]PortNumber(nil), tc.in...)
			got := NormalizePortIn(req)
			var carriers, groups []string
			for _, n := range got.Numbers {
				carriers = append(carriers, n.Carrier)
				if g := GroupName(n.Carrier, n.Type); !contains(groups, g) {
					groups = append(groups, g)
				}
			}
			if !equalStrings(carriers, tc.want) || !equalStrings(groups, tc.groups) {
				t.Errorf("carriers %q groups %q, want %q %q", carriers, groups, tc.want, tc.groups)
			}
			for i := range orig {
				if req.Numbers[i] != orig[i] {
					t.Errorf("the request was changed: %v", req.Numbers[i])
				}
			}
			if again := NormalizePortIn(got); !equalPortNumbers(again.Numbers, got.Numbers) {
				t.Errorf("not idempotent: %v then %v", got.Numbers, again.Numbers)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalPortNumbers(a, b []PortNumber) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
