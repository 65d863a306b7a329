// Package httpcall turns the declaration of an http ability (method, URL
// template, headers with ${ENV} references, body, accepted statuses) into an
// agent.Func that makes the request.
//
// Secrets reach a request only through ${ENV} references in header values,
// expanded at each call; their values are replaced by [redacted] in every
// error the function returns, and headers that carry them are dropped when
// a redirect leaves the original host.
package httpcall

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/agentdash/agentdash/internal/placeholder"
)

// Defaults for zero Spec fields.
const (
	DefaultMaxResponse  = 1 << 20
	DefaultMaxRedirects = 5
)

// ClientErrors says what a 4xx response other than 429 is.
type ClientErrors string

const (
	// ClientErrorsBadArgs makes a 4xx the caller's fault: an error
	// wrapping agent.ErrBadArgs, which the breaker does not count. The
	// default.
	ClientErrorsBadArgs ClientErrors = "bad_args"
	// ClientErrorsFailure makes a 4xx a failure, like a 5xx.
	ClientErrorsFailure ClientErrors = "failure"
)

// Spec declares an http ability.
type Spec struct {
	// Method is the request method; "" means GET.
	Method string
	// URL is an http or https URL with {{name}} placeholders in its path,
	// query or fragment (never in the scheme or host). A value is escaped
	// for where it stands: url.PathEscape in the path and fragment,
	// url.QueryEscape in the query.
	URL string
	// Headers are sent with every request. ${NAME} in a value is replaced
	// by the environment variable NAME when the call is made (a variable
	// that is not set fails the call); any other $ is literal.
	Headers map[string]string
	// Body is a template for the request body. With a JSON Content-Type
	// header a placeholder stands for a JSON value (strings quoted), with
	// application/x-www-form-urlencoded it is query-escaped, otherwise it
	// is inserted as it is. nil sends the arguments as JSON
	// (application/json), except for GET and HEAD, which send no body.
	Body *string
	// AcceptStatus lists the statuses whose response is the result; nil
	// means 200 to 299. A 429 or 5xx is a failure, another 4xx as
	// ClientErrors says, anything else a failure.
	AcceptStatus []int
	// MaxResponse is the most bytes of response body read; a longer body
	// is a failure. 0 means DefaultMaxResponse.
	MaxResponse int64
	// ClientErrors says what a 4xx other than 429 is; "" means bad_args.
	ClientErrors ClientErrors
	// MaxRedirects is how many redirects are followed before the call
	// fails; 0 means DefaultMaxRedirects, negative none (a 3xx is then the
	// response, a failure unless accepted).
	MaxRedirects int
	// LookupEnv reads the variables the headers refer to; nil means
	// os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Placeholders returns the argument names the URL and body templates use,
// sorted, each once, so that they can be checked against the ability's
// schema. It fails if the spec is invalid (see New).
func (s Spec) Placeholders() ([]string, error) {
	c, err := compile(s)
	if err != nil {
		return nil, err
	}
	return c.names, nil
}

// urlPart is a piece of the URL template with the escaping of where it
// stands.
type urlPart struct {
	placeholder.Part
	escape func(string) string
}

type bodyKind int8

const (
	bodyNone bodyKind = iota
	bodyArgs          // the arguments as JSON
	bodyJSON          // template, placeholders as JSON values
	bodyForm          // template, placeholders query-escaped
	bodyText          // template, placeholders as they are
)

// header is a header value as literal text and ${NAME} references.
type header struct {
	name  string
	parts []envPart
}

type envPart struct {
	text string // literal text, or the variable's name when isVar
	env  bool
}

func compile(s Spec) (*caller, error) {
	c := &caller{method: s.Method, max: s.MaxResponse, redirects: s.MaxRedirects,
		clientErrors: s.ClientErrors, lookup: s.LookupEnv}
	if c.method == "" {
		c.method = http.MethodGet
	}
	if c.max < 0 {
		return nil, fmt.Errorf("max response must not be negative, got %d", c.max)
	}
	if c.max == 0 {
		c.max = DefaultMaxResponse
	}
	if c.redirects == 0 {
		c.redirects = DefaultMaxRedirects
	}
	switch c.clientErrors {
	case "":
		c.clientErrors = ClientErrorsBadArgs
	case ClientErrorsBadArgs, ClientErrorsFailure:
	default:
		return nil, fmt.Errorf("client errors %q: want bad_args or failure", s.ClientErrors)
	}
	if c.lookup == nil {
		c.lookup = os.LookupEnv
	}
	if err := c.compileURL(s.URL); err != nil {
		return nil, err
	}
	if err := c.compileHeaders(s.Headers); err != nil {
		return nil, err
	}
	if err := c.compileBody(s.Body); err != nil {
		return nil, err
	}
	c.accept = slices.Clone(s.AcceptStatus)
	for _, code := range c.accept {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("accept status %d: want 100 to 599", code)
		}
	}
	// A request built from the template checks the method and the URL as
	// net/http will.
	if _, err := http.NewRequest(c.method, c.sample, nil); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	slices.Sort(c.names)
	c.names = slices.Compact(c.names)
	return c, nil
}

func (c *caller) compileURL(raw string) error {
	t, err := placeholder.Parse(raw)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	var sample strings.Builder // the URL with each placeholder "x"
	for _, p := range t.Parts() {
		if p.Name == "" {
			c.url = append(c.url, urlPart{Part: p})
			sample.WriteString(p.Text)
			continue
		}
		var esc func(string) string
		switch urlRegion(sample.String()) {
		case inHost:
			return fmt.Errorf("url %q: placeholder %s is in the scheme or host; placeholders may only be in the path, query or fragment", raw, p.Text)
		case inQuery:
			esc = url.QueryEscape
		default:
			esc = url.PathEscape
		}
		c.url = append(c.url, urlPart{Part: p, escape: esc})
		c.names = append(c.names, p.Name)
		sample.WriteString("x")
	}
	c.sample = sample.String()
	u, err := url.Parse(c.sample)
	if err != nil {
		return fmt.Errorf("url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("url %q: want an absolute http:// or https:// URL with a host", raw)
	}
	return nil
}

const (
	inHost = iota // the scheme, user info, host and port
	inPath
	inQuery
	inFragment
)

// urlRegion says where the text that follows prefix stands in a URL.
func urlRegion(prefix string) int {
	i := strings.Index(prefix, "://")
	if i < 0 {
		return inHost
	}
	rest := prefix[i+3:]
	j := strings.IndexAny(rest, "/?#")
	switch {
	case j < 0:
		return inHost
	case strings.Contains(rest[j:], "#"):
		return inFragment
	case strings.Contains(rest[j:], "?"):
		return inQuery
	}
	return inPath
}

func (c *caller) compileHeaders(hs map[string]string) error {
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range hs {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		if !validHeaderName(name) {
			return fmt.Errorf("header %q: not a valid header name", name)
		}
		h, err := parseEnvRefs(hs[name])
		if err != nil {
			return fmt.Errorf("header %s: %w", name, err)
		}
		h.name = http.CanonicalHeaderKey(name)
		for _, p := range h.parts {
			if !p.env && strings.ContainsAny(p.text, "\r\n\x00") {
				return fmt.Errorf("header %s: a value must not hold CR, LF or NUL", name)
			}
			if p.env && !slices.Contains(c.secretHeaders, h.name) {
				c.secretHeaders = append(c.secretHeaders, h.name)
			}
		}
		if h.name == "Content-Type" {
			c.contentType = hs[name]
		}
		c.headers = append(c.headers, h)
	}
	return nil
}

func (c *caller) compileBody(body *string) error {
	if body == nil {
		if c.method != http.MethodGet && c.method != http.MethodHead {
			c.body = bodyArgs
			if c.contentType == "" {
				c.headers = append(c.headers, header{name: "Content-Type", parts: []envPart{{text: "application/json"}}})
			}
		}
		return nil
	}
	t, err := placeholder.Parse(*body)
	if err != nil {
		return fmt.Errorf("body: %w", err)
	}
	c.bodyTemplate = t
	c.names = append(c.names, t.Names()...)
	mt, _, _ := mime.ParseMediaType(c.contentType)
	switch {
	case c.contentType == "":
		c.body = bodyText
		c.headers = append(c.headers, header{name: "Content-Type", parts: []envPart{{text: "text/plain; charset=utf-8"}}})
	case isJSON(mt):
		c.body = bodyJSON
		// Each placeholder as "" makes valid JSON only where a value may
		// stand: inside a string it would end the string.
		empty := map[string]any{}
		for _, n := range t.Names() {
			empty[n] = ""
		}
		if b, err := c.renderBody(empty); err != nil || !json.Valid(b) {
			return fmt.Errorf("body: the Content-Type is JSON but the template, with each placeholder a JSON value, is not JSON (write a placeholder where a value goes, not inside quotes)")
		}
	case mt == "application/x-www-form-urlencoded":
		c.body = bodyForm
	default:
		c.body = bodyText
	}
	return nil
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// parseEnvRefs splits a header value into text and ${NAME} references.
// Written by hand because os.Expand also expands $NAME, which would
// mangle a literal $ in a header.
func parseEnvRefs(v string) (header, error) {
	var h header
	for {
		i := strings.Index(v, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(v[i:], '}')
		if end < 0 {
			return h, fmt.Errorf("${ is not closed by }")
		}
		name := v[i+2 : i+end]
		if !validEnvName(name) {
			return h, fmt.Errorf("${%s}: an environment variable name is a letter or underscore, then letters, digits or underscores", name)
		}
		if i > 0 {
			h.parts = append(h.parts, envPart{text: v[:i]})
		}
		h.parts = append(h.parts, envPart{text: name, env: true})
		v = v[i+end+1:]
	}
	if v != "" {
		h.parts = append(h.parts, envPart{text: v})
	}
	return h, nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// validHeaderName checks RFC 9110's token, which net/http checks only when
// the request is sent.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		ok := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		if !ok {
			return false
		}
	}
	return true
}
