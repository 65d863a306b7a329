package abilities

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// formatResult renders a call's result for reading: a string as the text
// it holds, line by line, and anything else as indented JSON, except that
// an object's strings of several lines (read_file's content) follow the
// JSON of its other members as text under their name. In JSON they would
// be one long line of \n escapes.
func formatResult(v any) ([]byte, error) {
	b, err := encodeJSON(v, "")
	if err != nil {
		return nil, err
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		return []byte(displayText(s)), nil
	case '{':
		return formatObject(b)
	}
	return encodeJSON(v, "  ")
}

// member is one name and value of a JSON object, in the object's order.
type member struct {
	name  string
	value json.RawMessage
}

// formatObject renders the JSON object b: its members as indented JSON,
// then each multi-line string member as "── name" and its text.
func formatObject(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var plain, texts []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string) // object keys are strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if raw[0] == '"' && bytes.Contains(raw, []byte(`\n`)) {
			var s string
			if json.Unmarshal(raw, &s) == nil && strings.Contains(s, "\n") {
				texts = append(texts, member{name, json.RawMessage(s)})
				continue
			}
		}
		plain = append(plain, member{name, raw})
	}
	if len(texts) == 0 {
		var out bytes.Buffer
		err := json.Indent(&out, b, "", "  ")
		return out.Bytes(), err
	}
	var out bytes.Buffer
	if len(plain) > 0 {
		out.WriteString("{\n")
		for i, m := range plain {
			name, _ := encodeJSON(m.name, "")
			out.WriteString("  ")
			out.Write(name)
			out.WriteString(": ")
			if err := json.Indent(&out, m.value, "  ", "  "); err != nil {
				return nil, err
			}
			if i < len(plain)-1 {
				out.WriteByte(',')
			}
			out.WriteByte('\n')
		}
		out.WriteString("}\n")
	}
	for i, m := range texts {
		if i > 0 || len(plain) > 0 {
			out.WriteByte('\n')
		}
		out.WriteString("── " + m.name + "\n")
		out.WriteString(displayText(string(m.value)))
		out.WriteByte('\n')
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// encodeJSON encodes v, indented by indent unless it is "", keeping < > &
// as they are (the JSON is read, not embedded in HTML).
func encodeJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// tabWidth is the distance between tab stops in displayed text.
const tabWidth = 4

// displayText makes text safe to put on the screen as it reads: CRLF line
// ends become LF, tabs become spaces to the next tab stop, one final line
// end is dropped, and every other control character (an escape sequence
// in a file would restyle or move the cursor of the terminal) is shown as
// its Unicode control picture, or U+FFFD for the C1 controls.
func displayText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	var b strings.Builder
	b.Grow(len(s))
	col := 0
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
			col = 0
			continue
		case r == '\t':
			n := tabWidth - col%tabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
			continue
		case r < 0x20:
			r = 0x2400 + r // ␀ … ␟
		case r == 0x7f:
			r = '␡'
		case r >= 0x80 && r < 0xa0:
			r = utf8.RuneError
		}
		b.WriteRune(r)
		col++
	}
	return b.String()
}
