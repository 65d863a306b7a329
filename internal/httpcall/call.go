package httpcall

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/placeholder"
)

const snippetLen = 200 // bytes of an error response's body quoted in the error

type caller struct {
	method        string
	url           []urlPart
	sample        string // the URL with each placeholder "x", to check it
	headers       []header
	secretHeaders []string // canonical names of the headers with ${ENV}
	contentType   string
	body          bodyKind
	bodyTemplate  *placeholder.Template
	accept        []int
	max           int64
	redirects     int
	clientErrors  ClientErrors
	lookup        func(string) (string, bool)
	client        *http.Client
	names         []string
}

// New checks the spec and returns the function that makes its request
// with client (nil: a client with http.DefaultTransport, which verifies
// TLS certificates). The client is copied and its CheckRedirect replaced
// to bound redirects; the ability's context bounds the whole call. New
// fails with an error naming the problem if a template does not parse, a
// placeholder is in the URL's scheme or host, the URL is not absolute
// http(s), a header name or ${ENV} reference is invalid, a JSON body
// template is not JSON, or a number is out of range.
//
// The function's result is the response body: its JSON value when the
// Content-Type is JSON or the body parses as JSON, else its text.
// Connection errors, timeouts, 5xx and 429 are failures; another 4xx is
// the caller's fault (an error wrapping agent.ErrBadArgs) unless
// ClientErrors is failure. An argument a placeholder needs but the call
// lacks is the caller's fault.
func New(spec Spec, client *http.Client) (agent.Func, error) {
	c, err := compile(spec)
	if err != nil {
		return nil, err
	}
	if client == nil {
		client = &http.Client{}
	}
	cl := *client
	cl.CheckRedirect = c.checkRedirect
	c.client = &cl
	return c.call, nil
}

func (c *caller) checkRedirect(req *http.Request, via []*http.Request) error {
	if c.redirects < 0 {
		return http.ErrUseLastResponse
	}
	if len(via) > c.redirects {
		return fmt.Errorf("stopped after %d redirects", c.redirects)
	}
	// net/http keeps custom headers on a redirect to another host; a
	// secret must not follow it there.
	if req.URL.Host != via[0].URL.Host {
		for _, h := range c.secretHeaders {
			req.Header.Del(h)
		}
	}
	return nil
}

// callError is an error whose message has had the secrets removed. It
// unwraps only to a sentinel (agent.ErrBadArgs, a context error), never to
// an error whose message could still hold a secret.
type callError struct {
	msg   string
	cause error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() error { return e.cause }

func (c *caller) call(ctx context.Context, args map[string]any) (any, error) {
	u, err := c.renderURL(args)
	if err != nil {
		return nil, fmt.Errorf("url: %w: %w", agent.ErrBadArgs, err)
	}
	var body io.Reader
	if c.body != bodyNone {
		b, err := c.renderBody(args)
		if err != nil {
			return nil, fmt.Errorf("body: %w: %w", agent.ErrBadArgs, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	var secrets []string
	for _, h := range c.headers {
		v, err := h.expand(c.lookup, &secrets)
		if err != nil {
			return nil, err
		}
		req.Header.Set(h.name, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, c.fail(ctx, secrets, nil, "%v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.max+1))
	if err != nil {
		return nil, c.fail(ctx, secrets, nil, "%s %s: reading the response: %v", c.method, u, err)
	}
	if int64(len(data)) > c.max {
		return nil, c.fail(ctx, secrets, nil, "%s %s: the response passed the limit of %d bytes", c.method, u, c.max)
	}
	if !c.accepted(resp.StatusCode) {
		var cause error
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests &&
			c.clientErrors == ClientErrorsBadArgs {
			cause = agent.ErrBadArgs
		}
		return nil, c.fail(ctx, secrets, cause, "%s %s: HTTP %s%s", c.method, u, resp.Status, snippet(data))
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if isJSON(mt) || json.Valid(data) {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, c.fail(ctx, secrets, nil, "%s %s: the response is %s but not valid JSON: %v", c.method, u, mt, err)
		}
		return v, nil
	}
	return string(data), nil
}

func (c *caller) accepted(code int) bool {
	if c.accept == nil {
		return code >= 200 && code <= 299
	}
	return slices.Contains(c.accept, code)
}

// fail builds a failed call's error without the secrets; the cause is
// the context's error when it has ended.
func (c *caller) fail(ctx context.Context, secrets []string, cause error, format string, a ...any) error {
	if cause == nil {
		cause = ctx.Err()
	}
	return &callError{msg: redact(fmt.Sprintf(format, a...), secrets), cause: cause}
}

// redact replaces each secret in msg, as it is and in the escaped forms a
// server could echo it in, by [redacted].
func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		quoted := strconv.Quote(s)
		for _, form := range []string{s, quoted[1 : len(quoted)-1], url.QueryEscape(s), url.PathEscape(s)} {
			msg = strings.ReplaceAll(msg, form, "[redacted]")
		}
	}
	return msg
}

// snippet quotes the start of an error response's body, on one line.
func snippet(data []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(data), "\uFFFD")), " ")
	if s == "" {
		return ""
	}
	if len(s) > snippetLen {
		s = strings.ToValidUTF8(s[:snippetLen], "") + "…" // drops a rune cut in two
	}
	return ": " + s
}

func (c *caller) renderURL(args map[string]any) (string, error) {
	var b strings.Builder
	for _, p := range c.url {
		if p.Name == "" {
			b.WriteString(p.Text)
			continue
		}
		s, err := placeholder.Value(args, p.Name)
		if err != nil {
			return "", err
		}
		b.WriteString(p.escape(s))
	}
	return b.String(), nil
}

func (c *caller) renderBody(args map[string]any) ([]byte, error) {
	switch c.body {
	case bodyArgs:
		return placeholder.JSON(args)
	case bodyForm:
		s, err := c.bodyTemplate.Render(args, url.QueryEscape)
		return []byte(s), err
	case bodyText:
		s, err := c.bodyTemplate.Render(args, nil)
		return []byte(s), err
	}
	var b []byte
	for _, p := range c.bodyTemplate.Parts() {
		if p.Name == "" {
			b = append(b, p.Text...)
			continue
		}
		v, ok := args[p.Name]
		if !ok {
			return nil, fmt.Errorf("%w %q (a placeholder needs it)", placeholder.ErrMissing, p.Name)
		}
		j, err := placeholder.JSON(v)
		if err != nil {
			return nil, err
		}
		b = append(b, j...)
	}
	return b, nil
}

// expand returns the header's value with its ${NAME} references replaced,
// adding their values to secrets. A variable that is not set fails the
// call, naming the variable and header but no value.
func (h header) expand(lookup func(string) (string, bool), secrets *[]string) (string, error) {
	if len(h.parts) == 1 && !h.parts[0].env {
		return h.parts[0].text, nil
	}
	var b strings.Builder
	for _, p := range h.parts {
		if !p.env {
			b.WriteString(p.text)
			continue
		}
		v, ok := lookup(p.text)
		if !ok {
			return "", fmt.Errorf("header %s: environment variable %s is not set", h.name, p.text)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return "", fmt.Errorf("header %s: environment variable %s holds CR, LF or NUL", h.name, p.text)
		}
		if v != "" {
			*secrets = append(*secrets, v)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
