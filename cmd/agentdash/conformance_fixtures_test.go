//lint:file-ignore SA1019 the suite's logging scenario uses MCP logging, deprecated but current.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/mcpserver"
)

// The conformance suite's fixtures: a 1×1 red PNG and a WAV file of one
// silent sample.
var (
	redPixelPNG = []byte{
		0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
		0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
		0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
		0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
		0x44, 0xae, 0x42, 0x60, 0x82,
	}
	silentWAV = []byte("RIFF\x26\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x02\x00\x00\x00\x00\x00")
)

// schema2020 is the input schema the json-schema-2020-12 scenario wants
// listed verbatim.
const schema2020 = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "$defs": {"address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}},
  "properties": {"name": {"type": "string"}, "address": {"$ref": "#/$defs/address"}},
  "additionalProperties": false
}`

// conformanceFixtures serves, over Streamable HTTP with the handler of
// `mcp --http`, an agent whose abilities are the conformance suite's
// fixture tools, through the product's adapter (mcpserver): every call
// goes through Agent.Call. It returns the URL of /mcp.
func conformanceFixtures(t *testing.T) string {
	t.Helper()
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	fixed := func(name string, v any) agent.Ability {
		return agent.Ability{Name: name, Description: "Conformance fixture " + name + ".",
			Func: func(context.Context, map[string]any) (any, error) { return v, nil }}
	}
	resource := &mcp.EmbeddedResource{Resource: &mcp.ResourceContents{
		URI: "test://embedded-resource", MIMEType: "text/plain", Text: "This is an embedded resource content."}}
	image := &mcp.ImageContent{Data: redPixelPNG, MIMEType: "image/png"}
	abilities := []agent.Ability{
		fixed("test_simple_text", "This is a simple text response for testing."),
		fixed("test_image_content", image),
		fixed("test_audio_content", &mcp.AudioContent{Data: silentWAV, MIMEType: "audio/wav"}),
		fixed("test_embedded_resource", resource),
		fixed("test_multiple_content_types", []mcp.Content{&mcp.TextContent{Text: "Multiple content types test:"}, image, resource}),
		fixed("json_schema_2020_12_tool", "ok"),
		{Name: "test_error_handling", Description: "Conformance fixture: always fails.",
			Func: func(context.Context, map[string]any) (any, error) {
				return nil, errors.New("This tool intentionally returns an error for testing")
			}},
		{Name: "test_tool_with_logging", Description: "Conformance fixture: logs while it runs.",
			Func: func(ctx context.Context, _ map[string]any) (any, error) {
				for i, msg := range []string{"Tool execution started", "Tool processing data", "Tool execution completed"} {
					if i > 0 {
						time.Sleep(50 * time.Millisecond)
					}
					if err := mcpserver.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Data: msg}); err != nil {
						return nil, err
					}
				}
				return "Tool with logging executed successfully", nil
			}},
		{Name: "test_tool_with_progress", Description: "Conformance fixture: reports progress.",
			Func: func(ctx context.Context, _ map[string]any) (any, error) {
				for i, p := range []float64{0, 50, 100} {
					if i > 0 {
						time.Sleep(50 * time.Millisecond)
					}
					err := mcpserver.Progress(ctx, &mcp.ProgressNotificationParams{Progress: p, Total: 100})
					if err != nil && !errors.Is(err, mcpserver.ErrNoClient) {
						return nil, err
					}
				}
				return "Tool with progress executed successfully", nil
			}},
	}
	for _, ab := range abilities {
		if err := a.Register(ab); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := mcpserver.New(a, mcpserver.Options{InputSchema: func(name string) json.RawMessage {
		if name == "json_schema_2020_12_tool" {
			return json.RawMessage(schema2020)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mcpHandler(srv, "", mcpIdleSession))
	t.Cleanup(func() {
		for ss := range srv.MCP().Sessions() {
			_ = ss.Close()
		}
		hs.Close()
	})
	return hs.URL + "/mcp"
}
