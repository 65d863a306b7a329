package control

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
)

// FuzzActionBodies: whatever body a client sends to the endpoints that
// read one (the settings' included), the answer is 200 or a 4xx with a JSON error, never a 5xx or
// a panic, and a refused request changes no breaker.
func FuzzActionBodies(f *testing.F) {
	for _, s := range []string{
		`{"ability":"sum","args":{"a":1,"b":2}}`, `{"ability":"echo","args":{"x":[1,{"y":null}]}}`,
		`{"failure_rate":0.5,"latency":"20ms"}`, `{"rate":5,"mode":"vary"}`, `{"ability":`, `[]`, `null`,
		`{"ability":"sum","args":{"a":1e999}}`, "\x00", `{"a":1} {"b":2}`,
		`{"timeout":"5s"}`, `{"breaker.cooldown":"soon"}`, `{"timeout":5}`,
	} {
		f.Add(s)
	}
	a := newTestAgent(f)
	srv := NewServer(ServerOptions{Agent: a, Settings: &memSettings{vals: map[string]map[string]string{}}})
	f.Cleanup(srv.Close)
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		for _, ep := range []struct{ method, path string }{
			{"POST", "/v1/call"}, {"PUT", "/v1/faults/echo"}, {"PUT", "/v1/load/echo"}, {"POST", "/v1/settings/echo"},
		} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(ep.method, ep.path, bytes.NewBufferString(body)))
			if rec.Code != http.StatusOK && (rec.Code < 400 || rec.Code >= 500) {
				t.Fatalf("%s %s %q: status %d %s", ep.method, ep.path, body, rec.Code, rec.Body)
			}
			if rec.Code != http.StatusOK && !bytes.HasPrefix(rec.Body.Bytes(), []byte(`{"error":`)) {
				t.Fatalf("%s %s %q: %d without a JSON error: %s", ep.method, ep.path, body, rec.Code, rec.Body)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("DELETE", "/v1/load/echo", nil))
		_ = a.SetFault("echo", agent.Fault{})
		if s := stateOf(t, a, "sum"); s != breaker.Closed {
			t.Fatalf("body %q changed the breaker: %v", body, s)
		}
	})
}
