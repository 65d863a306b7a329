package config

import (
	"net/url"
	"regexp"
	"strings"
)

// MaxToolName is the longest tool name MCP allows, and so the longest
// name of a proxied ability, SERVER.TOOL.
const MaxToolName = 128

// toolRule is MCP's rule for tool names: the TOOL part of a proxied
// ability's name keeps the upstream's name as it is, rather than mangled
// into the stricter rule of the other abilities.
var toolRule = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ProxiedName splits the name of a proxied ability, SERVER.TOOL, and
// reports whether it is one: SERVER follows the rule of ability names,
// TOOL MCP's rule for tool names ([A-Za-z0-9_.-]), and the whole is at
// most MaxToolName characters.
func ProxiedName(name string) (server, tool string, ok bool) {
	server, tool, ok = strings.Cut(name, ".")
	if !ok || len(name) > MaxToolName || !nameRule.MatchString(server) || !toolRule.MatchString(tool) {
		return "", "", false
	}
	return server, tool, true
}

// checkMCPServers checks the upstream MCP servers.
func (d *decoder) checkMCPServers(c *Config) {
	for _, name := range sortedKeys(c.MCPServers) {
		path := "mcp_servers." + name
		if !nameRule.MatchString(name) {
			d.failAt(d.keys[path], path, "invalid server name: %s (its tools are abilities named %s.TOOL)", nameRuleText, name)
		}
		s := c.MCPServers[name]
		p := func(key string) string { return path + "." + key }
		_, hasCmd := d.keys[p("command")]
		_, hasURL := d.keys[p("url")]
		switch {
		case s == nil || !hasCmd && !hasURL:
			d.failAt(d.keys[path], path, "a server needs command (a stdio server, such as npx) or url (a Streamable HTTP server)")
			continue
		case hasCmd && hasURL:
			d.badKey(p("url"), "a server has command (stdio) or url (Streamable HTTP), not both")
			continue
		}
		if hasCmd {
			if d.has(p("command")) && s.Command == "" {
				d.bad(p("command"), "the program is empty")
			}
			for _, k := range sortedKeys(s.Env) {
				if !envName.MatchString(k) {
					d.badKey(p("env."+k), "invalid variable name: letters, digits and underscores, not starting with a digit")
				}
				d.envRefs(p("env."+k), s.Env[k])
			}
			if _, ok := d.keys[p("headers")]; ok {
				d.badKey(p("headers"), "only for a server with url (a stdio server takes env)")
			}
			continue
		}
		for _, key := range []string{"args", "env"} {
			if _, ok := d.keys[p(key)]; ok {
				d.badKey(p(key), "only for a server with command (stdio)")
			}
		}
		if d.has(p("url")) {
			u, err := url.Parse(s.URL)
			switch {
			case err != nil:
				d.bad(p("url"), "not a URL: %v", err.(*url.Error).Err)
			case u.Scheme != "http" && u.Scheme != "https":
				d.bad(p("url"), "want an http:// or https:// URL, such as http://127.0.0.1:8931/mcp")
			case u.Host == "":
				d.bad(p("url"), "the URL has no host")
			case u.User != nil:
				d.bad(p("url"), "the URL holds credentials: give them in headers, from ${NAME}")
			}
		}
		for _, k := range sortedKeys(s.Headers) {
			if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ':' }) {
				d.badKey(p("headers."+k), "invalid header name")
			}
			d.envRefs(p("headers."+k), s.Headers[k])
		}
	}
}

// checkProxied checks the settings of a proxied ability, SERVER.TOOL:
// SERVER must be one of mcp_servers, and the upstream gives what the
// ability is (its schema, how to run it); only settings apply.
func (d *decoder) checkProxied(c *Config, name string, a *Ability) bool {
	server, _, ok := ProxiedName(name)
	if !ok {
		return false
	}
	path := "abilities." + name
	if _, known := c.MCPServers[server]; !known {
		d.badKey(path, "no MCP server is called %s: a proxied tool's settings are under SERVER.TOOL, SERVER one of mcp_servers%s",
			server, knownServers(c))
		return true
	}
	if a == nil {
		return true
	}
	for _, key := range append(append([]string{"kind", "schema"}, commandKeys...), httpKeys...) {
		if _, ok := d.keys[path+"."+key]; ok {
			d.badKey(path+"."+key, "a proxied tool takes only settings: its upstream server gives what it is")
		}
	}
	return true
}

func knownServers(c *Config) string {
	if len(c.MCPServers) == 0 {
		return " (there is none)"
	}
	return " (" + strings.Join(sortedKeys(c.MCPServers), ", ") + ")"
}
