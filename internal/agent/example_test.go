package agent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
)

func ExampleAgent_Register() {
	a, err := agent.New(agent.Options{})
	if err != nil {
		panic(err)
	}
	defer a.Close()

	err = a.Register(agent.Ability{
		Name:        "uppercase",
		Description: "Upper-cases a text.",
		Schema: &schema.Schema{
			Type:       "object",
			Properties: map[string]*schema.Property{"text": {Type: "string"}},
			Required:   []string{"text"},
		},
		CacheTTL: time.Minute,
		Func: func(_ context.Context, args map[string]any) (any, error) {
			return strings.ToUpper(args["text"].(string)), nil
		},
	})
	fmt.Println("registered:", err)

	err = a.Register(agent.Ability{Name: "Upper Case", Func: func(context.Context, map[string]any) (any, error) { return nil, nil }})
	fmt.Println(err)

	for _, info := range a.Abilities() {
		fmt.Println(info.Name, info.Timeout, info.CacheTTL)
	}
	// Output:
	// registered: <nil>
	// register ability "Upper Case": invalid name: character 'U' at position 1: must be 1 to 64 characters: a lowercase letter, then lowercase letters, digits or underscores
	// uppercase 10s 1m0s
}

func ExampleAgent_Call() {
	a, err := agent.New(agent.Options{})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	err = a.Register(agent.Ability{
		Name: "uppercase",
		Schema: &schema.Schema{
			Type:       "object",
			Properties: map[string]*schema.Property{"text": {Type: "string"}},
			Required:   []string{"text"},
		},
		CacheTTL: time.Minute,
		Func: func(_ context.Context, args map[string]any) (any, error) {
			return strings.ToUpper(args["text"].(string)), nil
		},
	})
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	args := map[string]any{"text": "orfeas"}
	for range 2 {
		res, err := a.Call(ctx, "uppercase", args)
		fmt.Println(res.Value, res.Outcome, "cached:", res.Cached, err)
	}

	_, err = a.Call(ctx, "uppercase", map[string]any{"text": 42})
	fmt.Println(err, errors.Is(err, agent.ErrBadArgs))

	st := a.Snapshot().Abilities[0]
	fmt.Println("calls:", st.Calls, "hits:", st.CacheHits, "misses:", st.CacheMisses)
	// Output:
	// ORFEAS success cached: false <nil>
	// ORFEAS success cached: true <nil>
	// call uppercase: bad arguments: argument "text": want string, got number true
	// calls: 3 hits: 1 misses: 1
}
