package agent

import (
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestFlightTableModel checks the in-flight table against a map: random
// insertions and removals, with keys from a small set so that probe runs
// collide, wrap around and are shifted back by removals.
func TestFlightTableModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tab := newFlightTable()
		model := map[string]*flight{}
		key := rapid.Custom(func(t *rapid.T) string {
			return "k" + strconv.Itoa(rapid.IntRange(0, 60).Draw(t, "k"))
		})
		for range rapid.IntRange(1, 300).Draw(t, "ops") {
			k := key.Draw(t, "key")
			h := tab.hash([]byte(k))
			f, slot := tab.find(h, []byte(k))
			if f != model[k] {
				t.Fatalf("find(%q) = %p, model %p", k, f, model[k])
			}
			if f == nil {
				f = &flight{key: k, hash: h}
				tab.insert(slot, f)
				model[k] = f
			} else if rapid.Bool().Draw(t, "remove") {
				tab.remove(f)
				delete(model, k)
			}
			if tab.n != len(model) || 2*tab.n > len(tab.slots) {
				t.Fatalf("%d flights in %d slots, model %d", tab.n, len(tab.slots), len(model))
			}
		}
		for k, want := range model {
			if f, _ := tab.find(tab.hash([]byte(k)), []byte(k)); f != want {
				t.Fatalf("find(%q) = %p, want %p", k, f, want)
			}
		}
	})
}
