package httpcall

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agentdash/agentdash/internal/benchpair"
)

// The pair compares an ability's GET with a bare net/http GET of the same
// URL, over the same transport to a loopback server; README's Performance
// section has the figures.

func benchServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"city":"Athens","t":21.5}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func BenchmarkHTTP(b *testing.B) {
	srv := benchServer(b)
	f, err := New(Spec{URL: srv.URL + "/weather?city={{city}}", Headers: map[string]string{"Authorization": "Bearer ${TOKEN}"},
		LookupEnv: func(string) (string, bool) { return "t0ken", true }}, srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	args := map[string]any{"city": "Athens"}
	for b.Loop() {
		if _, err := f(ctx, args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareHTTP(b *testing.B) {
	srv := benchServer(b)
	client := srv.Client()
	ctx := context.Background()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/weather?city=Athens", nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer t0ken")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
}

// BenchmarkHTTPPaired alternates an ability call and a bare call and
// reports the median duration of each and their difference, so that both
// sides see the same load on a shared machine.
func BenchmarkHTTPPaired(b *testing.B) {
	srv := benchServer(b)
	f, err := New(Spec{URL: srv.URL + "/weather?city={{city}}", Headers: map[string]string{"Authorization": "Bearer ${TOKEN}"},
		LookupEnv: func(string) (string, bool) { return "t0ken", true }}, srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	client := srv.Client()
	ctx := context.Background()
	args := map[string]any{"city": "Athens"}
	bare := func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/weather?city=Athens", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer t0ken")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	o, t := benchpair.Medians(b, func() error { _, err := f(ctx, args); return err }, bare)
	b.ReportMetric(float64(o), "ability-p50-ns")
	b.ReportMetric(float64(t), "bare-p50-ns")
	b.ReportMetric(float64(o-t), "added-p50-ns")
}
