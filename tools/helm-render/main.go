// helm-render renders a Helm chart the way `helm template` does, for the parts of Helm the itsm
// chart uses, with Debian's Go packages only (no helm binary is packaged for Debian 12):
// Go's text/template with Sprig's functions (Helm's own library), Helm's additions (include,
// tpl, required, toYaml, fromYaml, toJson, fromJson, .Files.Get), values files merged over the
// chart's values.yaml as Helm coalesces them, and values.schema.json checked with gojsonschema
// (the validator Helm 3 used up to 3.17) before anything is rendered.
//
// Usage:
//
//	helm-render --chart helm/itsm [-f values.yaml]... [--release itsm] [--namespace itsm] \
//	    [--json objects.json] [--notes]
//
// Prints the objects as a YAML stream (or writes them as a JSON array with --json, each
// {"template": ..., "object": ...}); exits 1 naming the failure: a schema violation, a
// `fail`/`required` of a template, a document that is not YAML or not a Kubernetes object, two
// objects of one kind and name. What it does not do is listed in helm/itsm/README.md.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	"github.com/ghodss/yaml"
	"github.com/xeipuuv/gojsonschema"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// Files is .Files: the chart's files by path relative to the chart (links are followed, as
// Helm does when it loads a chart directory).
type Files struct{ root string }

func (f Files) Get(name string) string {
	data, err := os.ReadFile(filepath.Join(f.root, name))
	if err != nil {
		return ""
	}
	return string(data)
}

type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func readYAMLMap(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	values := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return values, nil
}

// coalesce merges override onto base as Helm does: maps merge key by key, anything else
// replaces, and a null in override deletes the key.
func coalesce(base, override map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, baseIsMap := out[k].(map[string]interface{})
		om, overrideIsMap := v.(map[string]interface{})
		if baseIsMap && overrideIsMap {
			out[k] = coalesce(bm, om)
		} else {
			out[k] = v
		}
	}
	return out
}

func checkSchema(chart string, values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chart, "values.schema.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	valuesJSON, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema),
		gojsonschema.NewBytesLoader(valuesJSON))
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	if result.Valid() {
		return nil
	}
	var b strings.Builder
	b.WriteString("values don't meet the specifications of the schema(s):\n")
	for _, e := range result.Errors() {
		fmt.Fprintf(&b, "- %s\n", e)
	}
	return errors.New(b.String())
}

func toYAML(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

type renderer struct {
	tmpl *template.Template
}

func (r *renderer) funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these: a chart must not read the environment of whoever renders it.
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var b bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := r.tmpl.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, data); err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		return strings.ReplaceAll(b.String(), "<no value>", ""), nil
	}
	// No cluster to ask: lookup finds nothing, as under `helm template`.
	f["lookup"] = func(...interface{}) map[string]interface{} { return map[string]interface{}{} }
	return f
}

type rendered struct {
	Template string                 `json:"template"`
	Object   map[string]interface{} `json:"object"`
}

func run() error {
	var files valueFiles
	chart := flag.String("chart", "helm/itsm", "the chart's directory")
	release := flag.String("release", "itsm", "the release name")
	namespace := flag.String("namespace", "itsm", "the release namespace")
	jsonOut := flag.String("json", "", "write the objects as a JSON array to this file")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt after the objects")
	flag.Var(&files, "f", "a values file merged over the chart's (repeatable, later wins)")
	flag.Parse()

	meta, err := readYAMLMap(filepath.Join(*chart, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYAMLMap(filepath.Join(*chart, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range files {
		override, err := readYAMLMap(f)
		if err != nil {
			return err
		}
		values = coalesce(values, override)
	}
	if err := checkSchema(*chart, values); err != nil {
		return err
	}

	// The cluster is taken to be Kubernetes 1.28 (.Capabilities): a chart that needs more fails,
	// as `helm install` fails on an older cluster.
	const kubeVersion = "1.28.0"
	if constraint, _ := meta["kubeVersion"].(string); constraint != "" {
		c, err := semver.NewConstraint(constraint)
		if err != nil {
			return fmt.Errorf("Chart.yaml kubeVersion %q: %w", constraint, err)
		}
		if !c.Check(semver.MustParse(kubeVersion)) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s", constraint, kubeVersion)
		}
	}

	chartName, _ := meta["name"].(string)
	chartObject := map[string]interface{}{}
	for k, v := range meta {
		// .Chart.Name, .Chart.Version, .Chart.AppVersion...: Helm's Metadata field names.
		chartObject[strings.ToUpper(k[:1])+k[1:]] = v
	}
	data := map[string]interface{}{
		"Values": values,
		"Chart":  chartObject,
		"Release": map[string]interface{}{
			"Name": *release, "Namespace": *namespace, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Files": Files{root: *chart},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v" + kubeVersion, "Major": "1", "Minor": "28"},
			"APIVersions": apiVersions{"v1", "apps/v1", "policy/v1", "autoscaling/v2",
				"networking.k8s.io/v1"},
		},
		"Template": map[string]interface{}{"BasePath": chartName + "/templates"},
	}

	r := &renderer{}
	r.tmpl = template.New(chartName).Option("missingkey=zero").Funcs(r.funcs())
	var names []string
	templates := filepath.Join(*chart, "templates")
	err = filepath.Walk(templates, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(*chart, path)
		name := chartName + "/" + filepath.ToSlash(rel)
		if _, err := r.tmpl.New(name).Parse(string(text)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)

	var objects []rendered
	seen := map[string]string{}
	var notesText string
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var b bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&b, name, data); err != nil {
			return err
		}
		out := strings.ReplaceAll(b.String(), "<no value>", "")
		if base == "NOTES.txt" {
			notesText = out
			continue
		}
		for i, doc := range splitDocuments(out) {
			var object map[string]interface{}
			if err := yaml.Unmarshal([]byte(doc), &object); err != nil {
				return fmt.Errorf("%s: document %d is not YAML: %w\n%s", name, i, err, doc)
			}
			if len(object) == 0 {
				continue
			}
			metadata, _ := object["metadata"].(map[string]interface{})
			kind, _ := object["kind"].(string)
			apiVersion, _ := object["apiVersion"].(string)
			objectName, _ := metadata["name"].(string)
			if kind == "" || apiVersion == "" || objectName == "" {
				return fmt.Errorf("%s: document %d has no apiVersion, kind or metadata.name:\n%s", name, i, doc)
			}
			key := apiVersion + " " + kind + " " + objectName
			if earlier, ok := seen[key]; ok {
				return fmt.Errorf("%s: %s is also rendered by %s", name, key, earlier)
			}
			seen[key] = name
			objects = append(objects, rendered{Template: name, Object: object})
		}
	}

	if *jsonOut != "" {
		data, err := json.MarshalIndent(objects, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			return err
		}
	} else {
		for _, o := range objects {
			fmt.Printf("---\n# Source: %s\n%s\n", o.Template, toYAML(o.Object))
		}
	}
	if *notes {
		fmt.Print(notesText)
	}
	return nil
}

// splitDocuments splits a YAML stream at its "---" lines, as Helm's releaseutil does.
func splitDocuments(s string) []string {
	var docs []string
	var current []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " \t") == "---" || strings.HasPrefix(line, "--- ") {
			docs = append(docs, strings.Join(current, "\n"))
			current = nil
			continue
		}
		current = append(current, line)
	}
	docs = append(docs, strings.Join(current, "\n"))
	var out []string
	for _, d := range docs {
		if strings.TrimSpace(d) != "" {
			out = append(out, d)
		}
	}
	return out
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
