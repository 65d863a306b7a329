package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/upstream"
)

// startGateway connects to the configuration's MCP servers and adds
// their tools to a, waiting for each server's first attempt (at most the
// connection timeout): a command then finds the tools there. A server that
// cannot be reached is said on stderr and tried again in the background.
// Later changes of their tools reach a and then f's onTools hook.
func (f *agentFlags) startGateway(env *environment) {
	lookup := func(name string) (string, bool) {
		v := env.getenv(name)
		return v, v != ""
	}
	opts := f.gatewayOptions
	opts.LookupEnv, opts.OnChange = lookup, func() { f.toolsChanged(env) }
	f.gateway = upstream.New(opts)
	f.live.SetExtra(f.gateway.Abilities)
	if len(env.config.MCPServers) == 0 {
		f.gateway.Update(env.config) // for the settings; a reload may add servers
		return
	}
	f.gateway.Update(env.config)
	ctx, cancel := context.WithTimeout(context.Background(), upstream.DefaultConnectTimeout)
	defer cancel()
	f.gateway.Ready(ctx)
	f.toolsChanged(env)
	for _, st := range f.gateway.Status() {
		if st.State != upstream.Connected {
			fmt.Fprintf(env.stderr, "agentdash: warning: mcp server %s: %s\n", st.Name, escapeControls(st.LastError))
		}
	}
}

// toolsChanged applies the gateway's abilities with the file's, then
// tells the onTools hook (agentdash mcp's clients).
func (f *agentFlags) toolsChanged(env *environment) {
	if err := f.live.Refresh(); err != nil {
		// Not expected but at shutdown: the tools were checked as they
		// were listed.
		if !errors.Is(err, agent.ErrClosed) {
			fmt.Fprintf(env.stderr, "agentdash: mcp servers' tools not applied: %s\n", escapeControls(oneLine(err.Error())))
		}
		return
	}
	if hook := f.onTools.Load(); hook != nil {
		(*hook)()
	}
}

// closeAgent stops the gateway, whose calls in flight then fail, and
// closes a, waiting at most shutdownGrace.
func (f *agentFlags) closeAgent(a *agent.Agent) {
	if f.gateway != nil {
		f.gateway.Close()
	}
	closeAgent(a)
}
