package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/schema"
)

// abilityJSON is one ability in `abilities --json`. The schema is the
// ability's MCP-style inputSchema.
type abilityJSON struct {
	Name            string         `json:"name"`
	Description     string         `json:"description"`
	InputSchema     *schema.Schema `json:"inputSchema"`
	TimeoutSeconds  float64        `json:"timeout_seconds"`
	CacheTTLSeconds float64        `json:"cache_ttl_seconds"`
	Isolate         bool           `json:"isolate"`
	// MaxConcurrent is the ability's own concurrency limit; 0: only the
	// global one.
	MaxConcurrent int         `json:"max_concurrent"`
	Breaker       breakerJSON `json:"breaker"`
	// Hints are what the ability says of its effects (MCP's tool
	// annotations); an unset one is left out.
	Hints hintsJSON `json:"hints"`
	// Source is "built-in" or the file:line that declares the ability.
	Source string `json:"source"`
}

// breakerJSON is an ability's breaker settings in `abilities --json`.
type breakerJSON struct {
	WindowSize          int     `json:"window_size"`
	MinCalls            int     `json:"min_calls"`
	FailureRate         float64 `json:"failure_rate"`
	ConsecutiveFailures int     `json:"consecutive_failures"`
	CooldownSeconds     float64 `json:"cooldown_seconds"`
	HalfOpenProbes      int     `json:"half_open_probes"`
	SuccessThreshold    int     `json:"success_threshold"`
	// The slow-call rule: 0 and 0 when off.
	SlowCallThresholdSeconds float64 `json:"slow_call_threshold_seconds"`
	SlowCallRate             float64 `json:"slow_call_rate"`
}

// hintsJSON is an ability's hints in `abilities --json`, named as in the
// configuration file.
type hintsJSON struct {
	ReadOnly    *bool `json:"read_only,omitempty"`
	Idempotent  *bool `json:"idempotent,omitempty"`
	Destructive *bool `json:"destructive,omitempty"`
	OpenWorld   *bool `json:"open_world,omitempty"`
}

func newBreakerJSON(s breaker.Settings) breakerJSON {
	return breakerJSON{WindowSize: s.WindowSize, MinCalls: s.MinCalls, FailureRate: s.FailureRate,
		ConsecutiveFailures: s.ConsecutiveFailures, CooldownSeconds: s.Cooldown.Seconds(),
		HalfOpenProbes: s.HalfOpenProbes, SuccessThreshold: s.SuccessThreshold,
		SlowCallThresholdSeconds: s.SlowCallThreshold.Seconds(), SlowCallRate: s.SlowCallRate}
}

func newAbilitiesCmd(env *environment) *cobra.Command {
	var (
		af     agentFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "abilities",
		Short: "List the agent's abilities with where they come from, their metadata and argument schema",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := af.newAgent(env)
			if err != nil {
				return err
			}
			defer af.closeAgent(a)
			infos := a.Abilities()
			if asJSON {
				out := make([]abilityJSON, 0, len(infos))
				for _, in := range infos {
					out = append(out, abilityJSON{Name: in.Name, Description: in.Description,
						InputSchema: in.Schema, TimeoutSeconds: in.Timeout.Seconds(),
						CacheTTLSeconds: in.CacheTTL.Seconds(), Isolate: in.Isolate, MaxConcurrent: in.MaxConcurrent,
						Breaker: newBreakerJSON(in.Breaker), Source: in.Source,
						Hints: hintsJSON{ReadOnly: in.Hints.ReadOnly, Idempotent: in.Hints.Idempotent,
							Destructive: in.Hints.Destructive, OpenWorld: in.Hints.OpenWorld}})
				}
				return writeJSON(env.stdout, out, isTerminal(env.stdout))
			}
			return writeAbilities(env, infos)
		},
	}
	af.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the abilities as a JSON array (with inputSchema)")
	return cmd
}

func writeAbilities(env *environment, infos []agent.Info) error {
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSOURCE\tTIMEOUT\tCACHE TTL\tLIMIT\tHINTS\tARGUMENTS\tDESCRIPTION")
	for _, in := range infos {
		ttl := "off"
		if in.CacheTTL > 0 {
			ttl = in.CacheTTL.String()
		}
		src := in.Source
		if src == "" {
			src = "-"
		}
		limit := "-"
		if in.MaxConcurrent > 0 {
			limit = strconv.Itoa(in.MaxConcurrent)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, src, in.Timeout, ttl, limit, hintsSummary(in.Hints),
			argSummary(in.Schema), in.Description)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write abilities: %w", err)
	}
	return nil
}

// hintsSummary renders the hints an ability sets, e.g. "read-only,closed"
// or "idempotent,destructive"; "-" for none.
func hintsSummary(h agent.Hints) string {
	var parts []string
	word := func(p *bool, yes, no string) {
		switch {
		case p == nil:
		case *p && yes != "":
			parts = append(parts, yes)
		case !*p && no != "":
			parts = append(parts, no)
		}
	}
	word(h.ReadOnly, "read-only", "")
	word(h.Idempotent, "idempotent", "")
	word(h.Destructive, "destructive", "additive")
	word(h.OpenWorld, "open-world", "closed")
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// argSummary renders a schema as "name:type (required) ...", e.g.
// "a:number b:number" or "ms:integer=100".
func argSummary(s *schema.Schema) string {
	if s == nil || len(s.Properties) == 0 {
		return "-"
	}
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		p := s.Properties[n]
		typ := p.Type
		if typ == "" {
			typ = "any"
		}
		part := n + ":" + typ
		switch {
		case p.Default != nil:
			part += fmt.Sprintf("=%v", p.Default)
		case !required[n]:
			part += "?"
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " ")
}
