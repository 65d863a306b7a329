package schema_test

import (
	"encoding/json"
	"fmt"

	"github.com/agentdash/agentdash/internal/schema"
)

const upperSchema = `{
	"type": "object",
	"properties": {
		"text":   {"type": "string", "minLength": 1, "examples": ["orfeas"]},
		"repeat": {"type": "integer", "minimum": 1, "default": 1}
	},
	"required": ["text"],
	"additionalProperties": false
}`

func ExampleSchema_Validate() {
	var s schema.Schema
	if err := json.Unmarshal([]byte(upperSchema), &s); err != nil {
		panic(err)
	}
	if err := s.Check(); err != nil {
		panic(err)
	}

	args, err := schema.ParseArgs([]byte(`{"text": "orfeas"}`))
	if err != nil {
		panic(err)
	}
	args, err = s.Validate(args)
	fmt.Println(args, err)

	_, err = s.Validate(map[string]any{"text": 42})
	fmt.Println(err)
	_, err = s.Validate(map[string]any{"text": "x", "repaet": 2})
	fmt.Println(err)
	// Output:
	// map[repeat:1 text:orfeas] <nil>
	// argument "text": want string, got number
	// argument "repaet": unknown argument (known: repeat, text)
}

func ExampleParseArgs() {
	_, err := schema.ParseArgs([]byte("{\n  \"a\": 1,\n  \"a\": 2\n}"))
	fmt.Println(err)
	_, err = schema.ParseArgs([]byte(`[1, 2]`))
	fmt.Println(err)
	// Output:
	// invalid arguments at line 3, column 3: duplicate key "a"
	// invalid arguments at line 1, column 1: arguments must be a JSON object, got an array
}

func ExampleAppendCanonical() {
	key, err := schema.AppendCanonical([]byte("sum:"), map[string]any{"b": 3, "a": 2.0})
	fmt.Println(string(key), err)
	// Output: sum:{"a":2,"b":3} <nil>
}

func ExampleSchema_Example() {
	var s schema.Schema
	if err := json.Unmarshal([]byte(upperSchema), &s); err != nil {
		panic(err)
	}
	fmt.Println(s.Example())
	// Output: map[repeat:1 text:orfeas]
}
