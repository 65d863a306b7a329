// Package placeholder parses and fills the templates of declared
// abilities: text with {{name}} placeholders that stand for arguments, as in
// argv: ["jq", "-r", "{{filter}}"] or url: "http://host/weather?city={{city}}".
//
// The syntax is deliberately this one construct, written by hand: text/template
// would read {{city}} as a call of a function named city, and mustache
// libraries bring sections, partials and HTML escaping, while the callers
// here need to escape each value by where it stands (a URL path or query, a
// JSON body), which neither offers.
package placeholder

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Part is a piece of a template: literal text, or a placeholder when Name
// is not empty.
type Part struct {
	Text string // the literal text, or the placeholder as written ("{{ city }}")
	Name string // the argument's name; "" for literal text
}

// Template is a parsed template. The zero Template is the empty text.
type Template struct {
	parts []Part
	names []string // sorted, unique
}

// ErrMissing is wrapped by Render's error when an argument a placeholder
// names is absent.
var ErrMissing = errors.New("missing argument")

// Parse parses s. A placeholder is "{{", optional spaces, a name (a letter
// or underscore, then letters, digits, underscores, hyphens or dots), optional
// spaces and "}}". Any other "{{" is an error giving its byte offset; a
// lone "}}" is literal text.
func Parse(s string) (*Template, error) {
	t := &Template{}
	rest, off := s, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.addText(rest)
			break
		}
		t.addText(rest[:i])
		end := strings.Index(rest[i:], "}}")
		if end < 0 {
			return nil, fmt.Errorf("offset %d: %q is not closed by }}", off+i, "{{")
		}
		raw := rest[i : i+end+2]
		name := strings.TrimSpace(raw[2 : len(raw)-2])
		if err := checkName(name); err != nil {
			return nil, fmt.Errorf("offset %d: placeholder %s: %w", off+i, raw, err)
		}
		t.parts = append(t.parts, Part{Text: raw, Name: name})
		if !slices.Contains(t.names, name) {
			t.names = append(t.names, name)
		}
		off += i + len(raw)
		rest = rest[i+len(raw):]
	}
	slices.Sort(t.names)
	return t, nil
}

func (t *Template) addText(s string) {
	if s != "" {
		t.parts = append(t.parts, Part{Text: s})
	}
}

func checkName(name string) error {
	if name == "" {
		return errors.New("no argument name between the braces")
	}
	for i, r := range name {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '.')
		if !ok {
			return fmt.Errorf("character %q at position %d of the name: a name is a letter or underscore, then letters, digits, underscores, hyphens or dots", r, i+1)
		}
	}
	return nil
}

// Parts returns the template's pieces in order. The slice must not be
// modified.
func (t *Template) Parts() []Part { return t.parts }

// Names returns the argument names the template uses, sorted, each once.
func (t *Template) Names() []string { return slices.Clone(t.names) }

// String returns the template as written.
func (t *Template) String() string {
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Render fills the placeholders from args, each value passed through
// escape (nil: as is) after Format. An absent argument is an error
// wrapping ErrMissing.
func (t *Template) Render(args map[string]any, escape func(string) string) (string, error) {
	if len(t.parts) == 1 && t.parts[0].Name == "" {
		return t.parts[0].Text, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.Name == "" {
			b.WriteString(p.Text)
			continue
		}
		s, err := Value(args, p.Name)
		if err != nil {
			return "", err
		}
		if escape != nil {
			s = escape(s)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// Value returns the named argument formatted by Format, or an error
// wrapping ErrMissing if it is absent.
func Value(args map[string]any, name string) (string, error) {
	v, ok := args[name]
	if !ok {
		return "", fmt.Errorf("%w %q (a placeholder needs it)", ErrMissing, name)
	}
	return Format(v)
}

// Format returns the text that stands for v: a string as it is, anything
// else as JSON (see JSON).
func Format(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := JSON(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// JSON returns v as compact JSON the way people write it: numbers in
// shortest form without exponents below 1e21 (3, 1048577, 0.25, 1e+21),
// object keys sorted, and <, > and & left as they are.
func JSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
