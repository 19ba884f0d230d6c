package porting

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// NormalizeText is the stored form of a name, an address or a contact a person typed: Unicode NFC
// (so "é" typed as e + combining accent and as one code point are the same text), no surrounding
// white space, and every inner run of white space (spaces, tabs, newlines, no-break spaces) one space.
// Case, accents and punctuation are kept: they are what the person wrote.
func NormalizeText(s string) string {
	return strings.Join(strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace), " ")
}

// SameText reports whether two texts say the same thing for an ownership or carrier comparison:
// equal once normalized (NormalizeText) and compared without regard to case (Unicode simple case
// folding, so "MÜLLER" is "Müller"). It is how the seeds' "must match exactly" is read: the same
// letters, accents, digits and punctuation in the same order — "Jose" is not "José", "St." is not
// "Street" — while the encoding of an accent, stray white space and capitalisation, which carriers'
// systems change routinely and which do not make another name, are ignored.
func SameText(a, b string) bool {
	return strings.EqualFold(NormalizeText(a), NormalizeText(b))
}

// NormalizePortIn canonicalises the carrier of every number of a port-in, so that one carrier is one
// LOA group (GroupName) however its name was typed: each carrier is NormalizeText'ed, and numbers whose
// carriers are the same text case-insensitively (SameText) all get the spelling of the first
// occurrence in request order ("Acme Telecom" and "acme  telecom " are one carrier, "Acme Telecom").
// It is pure and deterministic (workflow code may call it) and returns a copy; the request is not
// changed.
func NormalizePortIn(req PortInRequest) PortInRequest {
	out := req
	out.Numbers = make([]PortNumber, len(req.Numbers))
	var spellings []string
	// A bulk request names a few carriers many times: each name as typed is canonicalised once.
	canonical := map[string]string{}
	for i, n := range req.Numbers {
		carrier, seen := canonical[n.Carrier]
		if !seen {
			carrier = NormalizeText(n.Carrier)
			for _, s := range spellings {
				if SameText(s, carrier) {
					carrier = s
					break
				}
			}
			if !contains(spellings, carrier) {
				spellings = append(spellings, carrier)
			}
			canonical[n.Carrier] = carrier
		}
		n.Carrier = carrier
		out.Numbers[i] = n
	}
	return out
}
