package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Time-skipping speed (issue 7, item 1): the Go benchmarks of workflows/bench_test.go, run count
// times in one `go test` process; the median ns/op of each.

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

func runGoBench(ctx context.Context, root string, count int) (map[string][]float64, string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "Lifecycle$", "-benchmem",
		"-count", strconv.Itoa(count), "./workflows")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, out.String(), fmt.Errorf("go test -bench ./workflows: %v\n%s", err, out.String())
	}
	res := map[string][]float64{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		res[m[1]] = append(res[m[1]], v)
	}
	return res, out.String(), nil
}
