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
