package httpcall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

func mustNew(t *testing.T, s Spec) agent.Func {
	t.Helper()
	f, err := New(s, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

func call(t *testing.T, f agent.Func, args map[string]any) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return f(ctx, args)
}

// statusServer answers /status/CODE with that status, Content-Type from
// ?type= and the body from ?body=.
func statusServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if ct := r.URL.Query().Get("type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "/status/200")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, r.URL.Query().Get("body"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestStatuses(t *testing.T) {
	srv := statusServer(t)
	const (
		ok = iota
		badArgs
		failure
	)
	tests := []struct {
		name, path string
		spec       Spec
		want       int
		result     any
	}{
		{"200 with a JSON body", "/status/200?type=application/json&body={\"t\":21.5}", Spec{}, ok, map[string]any{"t": 21.5}},
		{"JSON that is not labelled JSON", "/status/200?type=text/plain&body=[1,2]", Spec{}, ok, []any{1.0, 2.0}},
		{"text", "/status/201?type=text/plain&body=sunny%0A", Spec{}, ok, "sunny\n"},
		{"empty 204", "/status/204", Spec{}, ok, ""},
		{"404 is the caller's fault", "/status/404?body=no+such+city", Spec{}, badArgs, nil},
		{"400 too", "/status/400", Spec{}, badArgs, nil},
		{"404 as a failure", "/status/404", Spec{ClientErrors: ClientErrorsFailure}, failure, nil},
		{"429 is a failure", "/status/429", Spec{}, failure, nil},
		{"500 is a failure", "/status/500?body=boom", Spec{}, failure, nil},
		{"503 is a failure", "/status/503", Spec{}, failure, nil},
		{"an accepted 404", "/status/404?body=none", Spec{AcceptStatus: []int{200, 404}}, ok, "none"},
		{"200 not in the accepted list", "/status/200", Spec{AcceptStatus: []int{201}}, failure, nil},
		{"a redirect is followed", "/status/302", Spec{}, ok, ""},
		{"an unfollowed redirect is a failure", "/status/302", Spec{MaxRedirects: -1}, failure, nil},
		{"JSON labelled but broken", "/status/200?type=application/json&body={", Spec{}, failure, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.URL = srv.URL + tt.path
			got, err := call(t, mustNew(t, spec), nil)
			switch {
			case tt.want == ok && (err != nil || !reflect.DeepEqual(got, tt.result)):
				t.Errorf("got %#v, %v; want %#v", got, err, tt.result)
			case tt.want == badArgs && !errors.Is(err, agent.ErrBadArgs):
				t.Errorf("err = %v, want ErrBadArgs", err)
			case tt.want == failure && (err == nil || errors.Is(err, agent.ErrBadArgs)):
				t.Errorf("err = %v, want a failure", err)
			}
		})
	}
	_, err := call(t, mustNew(t, Spec{URL: srv.URL + "/status/500?body=" + url.QueryEscape("  line one\n line two ")}), nil)
	if want := "GET " + srv.URL + "/status/500?body=++line+one%0A+line+two+: HTTP 500 Internal Server Error: line one line two"; err == nil || err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestPlaceholdersAreEscapedForWhereTheyStand(t *testing.T) {
	const city = "São Paulo/x?y&z=1#f"
	var got atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/weather/{city}/now", func(w http.ResponseWriter, r *http.Request) {
		got.Store([]string{r.PathValue("city"), r.URL.Query().Get("city"), r.URL.Query().Get("n"), r.URL.Query().Get("z")})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := mustNew(t, Spec{URL: srv.URL + "/weather/{{city}}/now?city={{city}}&n={{n}}"})
	if _, err := call(t, f, map[string]any{"city": city, "n": 2.0}); err != nil {
		t.Fatal(err)
	}
	if want := []string{city, city, "2", ""}; !reflect.DeepEqual(got.Load(), want) {
		t.Errorf("the server saw path value, city, n, z = %q, want %q", got.Load(), want)
	}
	if _, err := call(t, f, map[string]any{"n": 2.0}); !errors.Is(err, agent.ErrBadArgs) || !strings.Contains(err.Error(), `"city"`) {
		t.Errorf("without city: %v, want ErrBadArgs naming it", err)
	}
}

func TestHeadersExpandEnvAndSecretsAreRedacted(t *testing.T) {
	const secret = "s3cr/et+tok en\"x"
	env := map[string]string{"WEATHER_TOKEN": secret, "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var seen atomic.Value
	// The server echoes the request's headers in its error, as httpbin and
	// many debugging endpoints do.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("Authorization") + "|" + r.Header.Get("X-Literal"))
		b, _ := json.Marshal(r.Header)
		if r.URL.Path == "/ok" {
			return
		}
		w.WriteHeader(http.StatusBadGateway)
		_, _ = fmt.Fprintf(w, "%s raw=%s q=%s", b, r.Header.Get("Authorization"), url.QueryEscape(r.Header.Get("Authorization")))
	}))
	defer srv.Close()
	spec := Spec{URL: srv.URL + "/ok", LookupEnv: lookup,
		Headers: map[string]string{"authorization": "Bearer ${WEATHER_TOKEN}", "X-Literal": "cost: $5 ${EMPTY}$HOME"}}
	if _, err := call(t, mustNew(t, spec), nil); err != nil {
		t.Fatal(err)
	}
	if want := "Bearer " + secret + "|cost: $5 $HOME"; seen.Load() != want {
		t.Errorf("server saw %q, want %q", seen.Load(), want)
	}

	spec.URL = srv.URL + "/fail"
	_, err := call(t, mustNew(t, spec), nil)
	if err == nil || !strings.Contains(err.Error(), "[redacted]") || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("err = %v, want a 502 with the secret redacted", err)
	}
	for _, form := range []string{secret, "s3cr", "tok", url.QueryEscape(secret)} {
		if strings.Contains(err.Error(), form) {
			t.Errorf("error holds the secret (%q): %s", form, err)
		}
	}
	// The secret stays out of errors.Unwrap's chain too.
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "s3cr") {
			t.Errorf("a wrapped error holds the secret: %s", e)
		}
	}

	delete(env, "WEATHER_TOKEN")
	_, err = call(t, mustNew(t, spec), nil)
	if err == nil || err.Error() != "header Authorization: environment variable WEATHER_TOKEN is not set" {
		t.Errorf("err = %v, want the unset variable named", err)
	}
}

func TestSecretHeadersDoNotFollowARedirectToAnotherHost(t *testing.T) {
	var seen atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Header.Get("X-Api-Key") + "|" + r.Header.Get("X-Plain"))
	}))
	defer other.Close()
	first := httptest.NewServer(http.RedirectHandler(other.URL+"/landing", http.StatusFound))
	defer first.Close()
	spec := Spec{URL: first.URL, Headers: map[string]string{"X-Api-Key": "${KEY}", "X-Plain": "plain"},
		LookupEnv: func(string) (string, bool) { return "k3y", true }}
	if _, err := call(t, mustNew(t, spec), nil); err != nil {
		t.Fatal(err)
	}
	if seen.Load() != "|plain" {
		t.Errorf("the other host saw %q, want no key and the plain header", seen.Load())
	}
}

func TestRedirectLoopIsBounded(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()
	_, err := call(t, mustNew(t, Spec{URL: srv.URL, MaxRedirects: 3}), nil)
	if err == nil || !strings.Contains(err.Error(), "stopped after 3 redirects") || errors.Is(err, agent.ErrBadArgs) {
		t.Errorf("err = %v, want a failure after 3 redirects", err)
	}
	if n.Load() != 4 {
		t.Errorf("%d requests, want 4 (the first and 3 redirects)", n.Load())
	}
}

func TestResponseSizeLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		_, _ = io.WriteString(w, strings.Repeat("a", n))
	}))
	defer srv.Close()
	f := mustNew(t, Spec{URL: srv.URL + "?n={{n}}", MaxResponse: 1000})
	if got, err := call(t, f, map[string]any{"n": 1000.0}); err != nil || len(got.(string)) != 1000 {
		t.Errorf("at the limit: %v", err)
	}
	_, err := call(t, f, map[string]any{"n": 1001.0})
	if err == nil || !strings.Contains(err.Error(), "passed the limit of 1000 bytes") {
		t.Errorf("past the limit: %v", err)
	}
	f = mustNew(t, Spec{URL: srv.URL + "?n={{n}}"})
	if _, err := call(t, f, map[string]any{"n": float64(DefaultMaxResponse + 1)}); err == nil {
		t.Error("no error past the default limit")
	}
}

func TestTimeoutAndConnectionErrorsAreFailures(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := mustNew(t, Spec{URL: srv.URL})(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, agent.ErrBadArgs) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	_, err = call(t, mustNew(t, Spec{URL: addr}), nil)
	if err == nil || errors.Is(err, agent.ErrBadArgs) || !strings.Contains(err.Error(), addr) {
		t.Errorf("connection refused: err = %v, want a failure naming the URL", err)
	}
}

func TestBody(t *testing.T) {
	type req struct{ method, ctype, body string }
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(req{r.Method, r.Header.Get("Content-Type"), string(b)})
	}))
	defer srv.Close()
	args := map[string]any{"q": `a "b"&c`, "n": 1.5}
	jsonTpl, formTpl, textTpl := `{"query": {{q}}, "n": {{n}}}`, "q={{q}}&n={{n}}", "q={{q}}"
	tests := []struct {
		name string
		spec Spec
		want req
	}{
		{"GET sends no body", Spec{}, req{"GET", "", ""}},
		{"POST sends the arguments as JSON", Spec{Method: "POST"}, req{"POST", "application/json", `{"n":1.5,"q":"a \"b\"&c"}`}},
		{"a JSON template", Spec{Method: "PUT", Body: &jsonTpl, Headers: map[string]string{"Content-Type": "application/json"}},
			req{"PUT", "application/json", `{"query": "a \"b\"&c", "n": 1.5}`}},
		{"a form template", Spec{Method: "POST", Body: &formTpl, Headers: map[string]string{"content-type": "application/x-www-form-urlencoded"}},
			req{"POST", "application/x-www-form-urlencoded", "q=a+%22b%22%26c&n=1.5"}},
		{"a text template", Spec{Method: "POST", Body: &textTpl}, req{"POST", "text/plain; charset=utf-8", `q=a "b"&c`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.URL = srv.URL
			if _, err := call(t, mustNew(t, spec), args); err != nil {
				t.Fatal(err)
			}
			if got.Load() != tt.want {
				t.Errorf("server got %+v, want %+v", got.Load(), tt.want)
			}
		})
	}
}

func TestPlaceholders(t *testing.T) {
	body := "{{text}}"
	got, err := Spec{Method: "POST", URL: "https://example.com/{{a}}/x?b={{b}}#{{a}}", Body: &body}.Placeholders()
	if want := []string{"a", "b", "text"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Placeholders() = %q, %v; want %q", got, err, want)
	}
}

func TestNewErrors(t *testing.T) {
	badJSON := `{"q": "{{q}}"}`
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{URL: "http://{{host}}/x"}, "placeholder {{host}} is in the scheme or host"},
		{Spec{URL: "http://example.com{{port}}/x"}, "is in the scheme or host"},
		{Spec{URL: "{{scheme}}://example.com/"}, "is in the scheme or host"},
		{Spec{URL: "/relative/x"}, "want an absolute http:// or https:// URL"},
		{Spec{URL: "ftp://example.com/"}, "want an absolute http:// or https:// URL"},
		{Spec{URL: "http://example.com/{{x"}, `url: offset 19: "{{" is not closed`},
		{Spec{URL: "http://example.com/", Method: "GE T"}, "invalid method"},
		{Spec{URL: "http://example.com/", Headers: map[string]string{"Bad Name": "v"}}, `header "Bad Name": not a valid header name`},
		{Spec{URL: "http://example.com/", Headers: map[string]string{"A": "${TOKEN"}}, "header A: ${ is not closed"},
		{Spec{URL: "http://example.com/", Headers: map[string]string{"A": "${1X}"}}, "header A: ${1X}: an environment variable name"},
		{Spec{URL: "http://example.com/", Headers: map[string]string{"A": "x\ny"}}, "must not hold CR, LF or NUL"},
		{Spec{URL: "http://example.com/", Method: "POST", Body: &badJSON, Headers: map[string]string{"Content-Type": "application/json"}}, "is not JSON"},
		{Spec{URL: "http://example.com/", AcceptStatus: []int{99}}, "accept status 99"},
		{Spec{URL: "http://example.com/", MaxResponse: -1}, "max response must not be negative"},
		{Spec{URL: "http://example.com/", ClientErrors: "ignore"}, `client errors "ignore": want bad_args or failure`},
	}
	for _, tt := range tests {
		_, err := New(tt.spec, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
}
