package porting

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
)

// The custom search attributes are spelled out in several places besides this package: every one
// of them lists each attribute with its type.
func TestSearchAttributeListsAgree(t *testing.T) {
	t.Parallel()
	typeNames := map[enumspb.IndexedValueType]string{
		enumspb.INDEXED_VALUE_TYPE_KEYWORD:      "Keyword",
		enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList",
		enumspb.INDEXED_VALUE_TYPE_DATETIME:     "Datetime",
	}
	registered := map[string]string{}
	for key := range SearchAttributesToRegister().GetUntypedValues() {
		registered[key.GetName()] = typeNames[key.GetValueType()]
	}
	listed := map[string]string{}
	for _, nt := range SearchAttributeTypes {
		listed[nt[0]] = nt[1]
	}
	if fmt.Sprint(registered) != fmt.Sprint(listed) {
		t.Fatalf("SearchAttributesToRegister %v, SearchAttributeTypes %v", registered, listed)
	}
	if listed["RequestId"] != "Keyword" {
		t.Errorf("RequestId (DESIGN §8) is not a Keyword: %v", listed)
	}

	files := map[string]string{ // file: how it spells one attribute (%[1]s name, %[2]s type)
		"Makefile": "%[1]s=%[2]s",
		"deploy/compose/scripts/register-search-attributes.sh": "%[1]s:%[2]s",
		"scripts/demo.sh":    "--search-attribute %[1]s=%[2]s",
		"scripts/cluster.sh": "%[1]s=%[2]s",
		"docker-compose.yml": "%[1]s",
	}
	for file, form := range files {
		b, err := os.ReadFile(filepath.Join("..", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, nt := range SearchAttributeTypes {
			if want := fmt.Sprintf(form, nt[0], nt[1]); !strings.Contains(string(b), want) {
				t.Errorf("%s does not register %s (%s): no %q", file, nt[0], nt[1], want)
			}
		}
	}
}
