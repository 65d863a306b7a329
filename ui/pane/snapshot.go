package pane

import "github.com/agentdash/agentdash/internal/agent"

// SnapshotMsg carries the agent snapshot of the current frame. The root
// sends it to every pane once per frame (before TickMsg) unless live
// updates are paused. Panes must treat Snap as read-only: it is shared.
type SnapshotMsg struct {
	Snap agent.Snapshot
}
