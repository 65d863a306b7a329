package config

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/agentdash/agentdash/assets"
)

// fileSchema compiles assets/agentdash.schema.json with a full JSON Schema
// 2020-12 validator.
func fileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(assets.ConfigSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("agentdash.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("agentdash.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateYAML validates a YAML file against the JSON Schema, as an editor
// would.
func validateYAML(t *testing.T, s *jsonschema.Schema, src []byte) error {
	t.Helper()
	j, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(inst)
}

// The issue's example and the shipped example are valid for both the
// parser and the JSON Schema.
func TestExamplesMatchSchema(t *testing.T) {
	s := fileSchema(t)
	issue, err := os.ReadFile("testdata/issue15.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gateway := []byte("mcp_servers:\n  everything: {command: npx, args: [\"-y\", \"@modelcontextprotocol/server-everything\"]}\n" +
		"  remote: {url: \"https://h/mcp\", headers: {Authorization: \"Bearer ${T}\"}}\nabilities:\n  everything.echo: {cache_ttl: 1m}\n  remote.Get-Page.v2: {}\n")
	for name, src := range map[string][]byte{"issue15.yaml": issue, "agentdash.example.yaml": assets.ExampleConfig(), "gateway": gateway} {
		if _, err := Parse(name, src, nil); err != nil {
			t.Errorf("Parse(%s): %v", name, err)
		}
		if err := validateYAML(t, s, src); err != nil {
			t.Errorf("%s against the JSON Schema: %v", name, err)
		}
	}
}

// Files the parser refuses for their shape, the JSON Schema refuses too,
// so that an editor flags them.
func TestSchemaRefusesWhatParseRefuses(t *testing.T) {
	s := fileSchema(t)
	for _, src := range []string{
		"max_concurent: 4\n",
		"max_concurrent: 0\n",
		"max_wait: 5\n",
		"demo: yes please\n",
		"breaker: {failure_rate: 150%}\n",
		"breaker: {cooldwn: 5s}\n",
		"abilities:\n  Word-Count: {}\n",
		"abilities:\n  x: {kind: grpc}\n",
		"abilities:\n  x: {kind: command}\n",
		"abilities:\n  x: {kind: http}\n",
		"abilities:\n  x: {kind: http, url: \"http://h/\", argv: [a]}\n",
		"abilities:\n  x: {kind: command, argv: [a], url: \"http://h/\"}\n",
		"abilities:\n  sum: {url: \"http://h/\"}\n",
		"abilities:\n  x: {kind: http, url: \"http://h/\", client_errors: ignore}\n",
		"abilities:\n  x: {kind: command, argv: [a], max_output: lots}\n",
		"mcp_servers:\n  x: {args: [a]}\n",
		"mcp_servers:\n  x: {command: a, url: \"http://h/mcp\"}\n",
		"mcp_servers:\n  x: {command: a, headers: {A: b}}\n",
		"mcp_servers:\n  x: {url: \"http://h/mcp\", env: {A: b}}\n",
		"mcp_servers:\n  x: {url: \"ftp://h/mcp\"}\n",
		"mcp_servers:\n  X: {command: a}\n",
		"mcp_servers:\n  x: {command: a, cwd: /}\n",
		"mcp_servers:\n  x: {command: a}\nabilities:\n  x.a b: {}\n",
	} {
		if _, err := Parse("c.yaml", []byte(src), nil); err == nil {
			t.Errorf("Parse accepts %q", src)
		}
		if err := validateYAML(t, s, []byte(src)); err == nil {
			t.Errorf("the JSON Schema accepts %q", src)
		}
	}
}

// The JSON Schema's properties are exactly the Go structs' yaml keys, so
// the two cannot drift apart.
func TestSchemaKeysMatchStructs(t *testing.T) {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(assets.ConfigSchema(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		where string
		props map[string]json.RawMessage
		typ   reflect.Type
	}{
		{"properties", doc.Properties, reflect.TypeFor[Config]()},
		{"$defs.ability", doc.Defs["ability"].Properties, reflect.TypeFor[Ability]()},
		{"$defs.breaker", doc.Defs["breaker"].Properties, reflect.TypeFor[Breaker]()},
		{"$defs.fault", doc.Defs["fault"].Properties, reflect.TypeFor[Fault]()},
		{"$defs.hints", doc.Defs["hints"].Properties, reflect.TypeFor[Hints]()},
		{"$defs.mcp_server", doc.Defs["mcp_server"].Properties, reflect.TypeFor[MCPServer]()},
	} {
		var keys []string
		for k := range tc.props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		want := YAMLKeys(tc.typ)
		slices.Sort(want)
		if !slices.Equal(keys, want) {
			t.Errorf("schema %s has %v; %v has %v", tc.where, keys, tc.typ, want)
		}
	}
	// The kinds' keys, which the parser keeps apart, are all Ability's.
	for _, k := range append(slices.Clone(commandKeys), httpKeys...) {
		if !slices.Contains(YAMLKeys(reflect.TypeFor[Ability]()), k) {
			t.Errorf("kind key %s is not a key of Ability", k)
		}
	}
}
