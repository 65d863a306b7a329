package dashboard

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/upstream"
	"github.com/agentdash/agentdash/ui/theme"
)

// upstreamStderrLines is how many of a stdio server's last stderr lines the
// overlay shows.
const upstreamStderrLines = 3

// upstreamBadge is the header's word on the MCP servers: "mcp 2/3 up",
// "" without any.
func (m *Model) upstreamBadge() string {
	if len(m.ups) == 0 {
		return ""
	}
	up := 0
	for _, st := range m.ups {
		if st.State == upstream.Connected {
			up++
		}
	}
	return "mcp " + strconv.Itoa(up) + "/" + strconv.Itoa(len(m.ups)) + " up"
}

// upstreamBox is the overlay that the u key opens: each MCP server's
// state, tools, restarts, last error and last stderr lines.
func (m *Model) upstreamBox() string {
	t := m.theme
	width := max(min(m.width-6, 100), 20)
	var b strings.Builder
	b.WriteString(t.Bold.Render("MCP servers"))
	b.WriteString(t.Muted.Render("  u/esc close"))
	if len(m.ups) == 0 {
		b.WriteString("\n\n" + t.Muted.Render("none: add mcp_servers to the configuration file"))
	}
	now := time.Now()
	for _, st := range m.ups {
		state := t.Good
		switch st.State {
		case upstream.Failed:
			state = t.Bad
		case upstream.Connecting:
			state = t.Warn
		}
		b.WriteString("\n\n")
		b.WriteString(t.Bold.Render(st.Name) + " " + t.Muted.Render(st.Transport) + "  " + state.Render(string(st.State)) +
			t.Text.Render(fmt.Sprintf(" for %s · %d tools · %d restarts", now.Sub(st.Since).Round(time.Second), st.Tools, st.Restarts)))
		if st.LastError != "" {
			b.WriteString("\n" + t.Bad.Render(ansi.Truncate("  last error: "+st.LastError, width, "…")))
		}
		lines := st.Stderr[max(len(st.Stderr)-upstreamStderrLines, 0):]
		for _, l := range lines {
			b.WriteString("\n" + t.Muted.Render(ansi.Truncate("  stderr: "+l, width, "…")))
		}
	}
	return t.Overlay.Render(theme.Block(b.String(), width, min(strings.Count(b.String(), "\n")+1, max(m.layout.body.h-2, 1))))
}
