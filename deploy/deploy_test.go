package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const (
	rulesFile     = "prometheus/porting-alerts.yml"
	rulesTestFile = "prometheus/porting-alerts.test.yml"
	configFile    = "prometheus/prometheus.yml"
	dashboardFile = "grafana/porting-dashboard.json"
	readmeFile    = "../README.md"
	composeFile   = "../docker-compose.yml"
	workerJob     = "porting-worker"
)

// ---------------------------------------------------------------- the alerting rules

type ruleGroups struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// decodeStrict decodes YAML refusing unknown fields (a misspelt `for:` would otherwise be ignored).
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	require.NoError(t, dec.Decode(v), path)
}

func loadRules(t *testing.T) []rule {
	var g ruleGroups
	decodeStrict(t, rulesFile, &g)
	require.NotEmpty(t, g.Groups)
	var rules []rule
	groups := map[string]bool{}
	for _, gr := range g.Groups {
		require.NotEmpty(t, gr.Name, "a group without a name")
		require.False(t, groups[gr.Name], "group %s twice", gr.Name)
		groups[gr.Name] = true
		require.NotEmpty(t, gr.Rules, "group %s has no rules", gr.Name)
		rules = append(rules, gr.Rules...)
	}
	return rules
}

// The alerts the README and the issue promise.
var requiredAlerts = []string{"PortDeadlinePassed", "PortFailed", "NotificationDeliveriesFailed",
	"ProvisioningSlow", "WorkerMetricsDown"}

// templateFuncs stand in for Prometheus' template functions, to parse annotations.
var templateFuncs = template.FuncMap{}

func init() {
	for _, f := range []string{"humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
		"humanizeTimestamp", "title", "toUpper", "toLower", "reReplaceAll", "match", "label", "value",
		"first", "query", "strvalue", "args", "safeHtml", "externalURL", "pathPrefix", "graphLink", "tableLink",
		"stripPort", "stripDomain", "parseDuration", "toTime", "urlUnescape"} {
		templateFuncs[f] = func(...any) string { return "" }
	}
}

func TestAlertRules(t *testing.T) {
	rules := loadRules(t)
	cat := buildCatalogue(t)
	values := labelValues(t)
	anchors := readmeAnchors(t)
	readme, err := os.ReadFile(readmeFile)
	require.NoError(t, err)

	seen := map[string]bool{}
	for _, r := range rules {
		name := r.Alert
		if name == "" {
			name = r.Record
		}
		t.Run(name, func(t *testing.T) {
			require.True(t, (r.Alert == "") != (r.Record == ""), "a rule is an alert or a recording rule")
			require.False(t, seen[name], "%s twice", name)
			seen[name] = true
			checkExpr(t, cat, values, r.Expr)
			if r.Record != "" {
				return
			}
			for _, d := range []string{r.For, r.KeepFiringFor} {
				if d != "" {
					assert.Regexp(t, durationRE, d, "for/keep_firing_for")
				}
			}
			assert.Contains(t, []string{"critical", "warning", "info"}, r.Labels["severity"], "severity label")
			for _, a := range []string{"summary", "description", "runbook_url"} {
				assert.NotEmpty(t, r.Annotations[a], "annotation %s", a)
			}
			for k, v := range r.Annotations {
				_, err := template.New(k).Funcs(templateFuncs).Parse("{{$labels := .Labels}}{{$value := .Value}}" + v)
				assert.NoError(t, err, "annotation %s", k)
			}
			// The runbook is a section of the README, which lists the alert.
			file, anchor, _ := strings.Cut(r.Annotations["runbook_url"], "#")
			assert.Equal(t, "README.md", file, "runbook_url")
			assert.True(t, anchors[anchor], "runbook_url: README has no section #%s", anchor)
			assert.True(t, strings.Contains(string(readme), "`"+r.Alert+"`"), "README does not list the alert")
		})
	}
	for _, a := range requiredAlerts {
		assert.True(t, seen[a], "alert %s missing", a)
	}
}

// checkExpr checks one expression's structure and that every metric, label and label value it
// names is one the worker exports.
func checkExpr(t *testing.T, cat catalogue, values map[string]map[string]bool, expr string) {
	t.Helper()
	q, err := readQuery(expr)
	if !assert.NoError(t, err, expr) {
		return
	}
	assert.NotEmpty(t, q.metrics, "%s selects no metric", expr)
	labels := map[string]bool{}
	for _, m := range q.metrics {
		s, ok := cat.series[m]
		if !assert.True(t, ok, "%s: the worker exports no %s", expr, m) {
			continue
		}
		for l := range s.labels {
			labels[l] = true
		}
	}
	for _, m := range q.matchers {
		s, ok := cat.series[m.metric]
		if !ok {
			continue // reported above
		}
		if !assert.True(t, s.labels[m.label], "%s: %s has no label %s (it has %v)", expr, m.metric, m.label, keys(s.labels)) {
			continue
		}
		allowed := values[m.label]
		if allowed == nil || m.metric == "up" {
			continue
		}
		var vals []string
		switch m.op {
		case "=", "!=":
			vals = []string{m.value}
		default:
			if regexp.MustCompile(`^[a-z_|-]+$`).MatchString(m.value) {
				vals = strings.Split(m.value, "|")
			}
		}
		for _, v := range vals {
			assert.True(t, allowed[v], "%s: %s=%q is never exported (values: %v)", expr, m.label, v, keys(allowed))
		}
	}
	for _, l := range q.grouping {
		assert.True(t, labels[l], "%s: groups by %s, a label of none of %v", expr, l, q.metrics)
	}
}

// ---------------------------------------------------------------- the dashboard

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Datasource *datasource     `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Datasource  *datasource `json:"datasource"`
	GridPos     struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID      string      `json:"refId"`
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

const dsVar = "${DS_PROMETHEUS}"

// grafanaVars are the values the variables the dashboard may use take for checking.
var grafanaVars = strings.NewReplacer(
	"$namespace", ".*", "${namespace}", ".*",
	"$kind", ".*", "${kind}", ".*",
	"$__rate_interval", "1m", "$__interval", "1m", "$__range", "1h",
)

func loadDashboard(t *testing.T) dashboard {
	b, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d dashboard
	require.NoError(t, json.Unmarshal(b, &d), dashboardFile)
	return d
}

// dataPanels are the dashboard's panels but rows, with those of collapsed rows.
func dataPanels(d dashboard) []panel {
	var out []panel
	for _, p := range d.Panels {
		if p.Type == "row" {
			out = append(out, p.Panels...)
			continue
		}
		out = append(out, p)
	}
	return out
}

func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	cat := buildCatalogue(t)
	values := labelValues(t)
	require.NotEmpty(t, d.UID)
	require.NotEmpty(t, d.Title)
	require.GreaterOrEqual(t, d.SchemaVersion, 36, "schemaVersion")

	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type == "query" {
			require.NotNil(t, v.Datasource, "variable %s: datasource", v.Name)
			assert.Equal(t, dsVar, v.Datasource.UID, "variable %s: datasource", v.Name)
		}
	}
	assert.Equal(t, "datasource", vars["DS_PROMETHEUS"], "a datasource variable DS_PROMETHEUS")
	assert.Equal(t, "query", vars["namespace"], "a namespace variable")
	assert.Equal(t, "query", vars["kind"], "a kind variable")

	ids := map[int]bool{}
	used := map[string]bool{}
	var boxes []panel
	for _, p := range d.Panels {
		require.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		assert.NotEmpty(t, p.Title, "panel %d: title", p.ID)
		boxes = append(boxes, p)
	}
	for _, p := range dataPanels(d) {
		t.Run(p.Title, func(t *testing.T) {
			assert.NotEmpty(t, p.Title, "panel %d: title", p.ID)
			assert.NotEmpty(t, p.Description, "description: what an operator should do")
			if assert.NotNil(t, p.Datasource, "datasource") {
				assert.Equal(t, dsVar, p.Datasource.UID, "datasource")
			}
			require.NotEmpty(t, p.Targets, "no target")
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				assert.NotEmpty(t, tg.RefID)
				assert.False(t, refs[tg.RefID], "refId %s twice", tg.RefID)
				refs[tg.RefID] = true
				if tg.Datasource != nil {
					assert.Equal(t, dsVar, tg.Datasource.UID, "target %s: datasource", tg.RefID)
				}
				expr := grafanaVars.Replace(tg.Expr)
				checkExpr(t, cat, values, expr)
				if q, err := readQuery(expr); err == nil {
					for _, m := range q.metrics {
						used[cat.series[m].family] = true
					}
				}
			}
		})
	}
	// Within the grid, no two panels overlap.
	for i, a := range boxes {
		g := a.GridPos
		assert.True(t, g.W > 0 && g.H > 0 && g.X >= 0 && g.X+g.W <= 24, "panel %q: gridPos %+v", a.Title, g)
		for _, b := range boxes[i+1:] {
			h := b.GridPos
			overlap := g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H
			assert.False(t, overlap, "panels %q and %q overlap", a.Title, b.Title)
		}
	}
	// Every product metric has a panel.
	for _, m := range cat.product {
		assert.True(t, used[m], "no panel shows %s", m)
	}
}

// ---------------------------------------------------------------- README, compose, scrape config

// readmeAnchors are the README's section anchors, as GitHub makes them.
func readmeAnchors(t *testing.T) map[string]bool {
	b, err := os.ReadFile(readmeFile)
	require.NoError(t, err)
	anchors := map[string]bool{}
	inCode := false
	drop := regexp.MustCompile(`[^\p{L}\p{N}_ -]`)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		a := strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(title), ""), " ", "-")
		anchors[a] = true
	}
	return anchors
}

type compose struct {
	Services map[string]struct {
		Image       string    `yaml:"image"`
		Profiles    []string  `yaml:"profiles"`
		Volumes     []string  `yaml:"volumes"`
		Environment yaml.Node `yaml:"environment"` // a list of NAME=value or a map
	} `yaml:"services"`
}

// TestComposeMonitoring checks the compose file's monitoring profile against the files here: the
// paths it mounts exist, the images are pinned, and Prometheus scrapes the worker where it listens.
func TestComposeMonitoring(t *testing.T) {
	b, err := os.ReadFile(composeFile)
	require.NoError(t, err)
	var c compose
	require.NoError(t, yaml.Unmarshal(b, &c))
	var monitoring []string
	for name, s := range c.Services {
		if !contains(s.Profiles, "monitoring") {
			continue
		}
		monitoring = append(monitoring, name)
		assert.Regexp(t, `:\$\{[A-Z_]+:-v?[0-9]+\.[0-9]+\.[0-9]+\}$|:v?[0-9]+\.[0-9]+\.[0-9]+$`, s.Image, "%s: a pinned image", name)
		for _, v := range s.Volumes {
			host, _, ok := strings.Cut(v, ":")
			if ok && strings.HasPrefix(host, ".") {
				_, err := os.Stat(filepath.Join("..", host))
				assert.NoError(t, err, "%s mounts %s", name, host)
			}
		}
	}
	sort.Strings(monitoring)
	assert.Equal(t, []string{"grafana", "prometheus"}, monitoring, "the monitoring profile's services")

	// The worker listens on METRICS_ADDR=:PORT; the scrape config targets worker:PORT.
	var port string
	var env []string
	workerEnv := c.Services["worker"].Environment
	require.NoError(t, workerEnv.Decode(&env), "the worker's environment: a list")
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "METRICS_ADDR="); ok {
			_, port, _ = strings.Cut(v, ":")
		}
	}
	require.NotEmpty(t, port, "the worker's METRICS_ADDR in %s", composeFile)
	var cfg struct {
		RuleFiles     []string `yaml:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	cb, err := os.ReadFile(configFile)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(cb, &cfg))
	assert.Contains(t, cfg.RuleFiles, filepath.Base(rulesFile))
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		if sc.JobName == workerJob {
			for _, st := range sc.StaticConfigs {
				targets = append(targets, st.Targets...)
			}
		}
	}
	assert.Equal(t, []string{"worker:" + port}, targets, "job %s's targets", workerJob)
}

// ---------------------------------------------------------------- promtool, when present

// promtool is PROMTOOL, else bin/promtool (make bin/promtool), else one on PATH.
func promtool(t *testing.T) string {
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	if abs, err := filepath.Abs("../bin/promtool"); err == nil {
		if _, err := os.Stat(abs); err == nil {
			return abs
		}
	}
	if p, err := exec.LookPath("promtool"); err == nil {
		return p
	}
	t.Skip("promtool not found (make bin/promtool, or PROMTOOL=path): the rules and the dashboard's queries are not run through Prometheus' parser")
	return ""
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
}

// TestPromtool runs the rules, their unit tests, the scrape config and every query of the
// dashboard through promtool (the real PromQL parser).
func TestPromtool(t *testing.T) {
	promtool(t)
	t.Run("check rules", func(t *testing.T) { runPromtool(t, "prometheus", "check", "rules", filepath.Base(rulesFile)) })
	t.Run("test rules", func(t *testing.T) { runPromtool(t, "prometheus", "test", "rules", filepath.Base(rulesTestFile)) })
	t.Run("check config", func(t *testing.T) { runPromtool(t, "prometheus", "check", "config", filepath.Base(configFile)) })
	t.Run("dashboard queries", func(t *testing.T) {
		// Each query as a recording rule, so that promtool parses it.
		var rules []map[string]string
		for _, p := range dataPanels(loadDashboard(t)) {
			for _, tg := range p.Targets {
				rules = append(rules, map[string]string{
					"record": fmt.Sprintf("dashboard:panel_%d_%s", p.ID, tg.RefID),
					"expr":   grafanaVars.Replace(tg.Expr),
				})
			}
		}
		b, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}})
		require.NoError(t, err)
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "dashboard-queries.yml"), b, 0o644))
		runPromtool(t, dir, "check", "rules", "dashboard-queries.yml")
	})
}

// TestReadQuery checks the test's own PromQL reader on what it must refuse and find.
func TestReadQuery(t *testing.T) {
	for _, bad := range []string{
		`rate(x[5m]`, `sum(x))`, `rat(x[5m])`, `rate(x[5])`, `x offset 15`, `{job="a"}`, `x{job=}`,
		`x{job="a}`, `x{job=~"("}`, `rate(x[$__rate_interval])`, `x{job="a"]`,
	} {
		_, err := readQuery(bad)
		assert.Error(t, err, bad)
	}
	q, err := readQuery(`sum by (kind, le) (rate(a_bucket{kind!="x", state=~"f|g"}[1h] offset 5m)) / on (kind) group_left b or absent(up{job="w"})`)
	require.NoError(t, err)
	assert.Equal(t, []string{"a_bucket", "b", "up"}, q.metrics)
	assert.Equal(t, []string{"kind", "le", "kind"}, q.grouping)
	assert.Equal(t, []matcher{{"a_bucket", "kind", "!=", "x"}, {"a_bucket", "state", "=~", "f|g"}, {"up", "job", "=", "w"}}, q.matchers)
	assert.Equal(t, []string{"sum", "rate", "absent"}, q.functions)
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
