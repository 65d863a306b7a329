// Package assets holds the files shipped with agentdash that the binary
// also embeds: the example configuration and its JSON Schema.
package assets

import _ "embed"

// exampleConfig and configSchema are read-only: only copies are handed out.
var (
	//go:embed agentdash.example.yaml
	exampleConfig []byte
	//go:embed agentdash.schema.json
	configSchema []byte
)

// ExampleConfig returns the commented example configuration
// (agentdash.example.yaml), which `agentdash config init` writes.
func ExampleConfig() []byte { return clone(exampleConfig) }

// ConfigSchema returns the JSON Schema of the configuration file
// (agentdash.schema.json), which `agentdash config schema` prints.
func ConfigSchema() []byte { return clone(configSchema) }

func clone(b []byte) []byte { return append([]byte(nil), b...) }
