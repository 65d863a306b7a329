package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
)

// Settings reads and changes the abilities' settings in the agent's live
// configuration: the file, with the edits applied but not yet written on
// top. The dashboard's settings form (ui/breakers) drives it, for an agent
// here or attached.
type Settings interface {
	// Values returns the values the configuration gives ability's keys
	// (key paths under abilities.NAME), as written; a key it does not set
	// is absent.
	Values(ability string, keys []string) (map[string]string, error)
	// Apply sets keys of ability to the values typed and applies the
	// configuration at once, as a reload of the file would. Its error
	// (config.Errors for wrong values, at their key paths) leaves
	// everything as it was.
	Apply(ability string, values map[string]string) error
	// Unsaved reports whether applied edits are not written yet.
	Unsaved() bool
	// File is the configuration file; "" without one.
	File() string
	// Write writes the unsaved edits into the file.
	Write() error
	// CreatePath is where Create writes a file, without one.
	CreatePath() string
	// Create writes a new file holding the unsaved edits.
	Create() error
}

// SettingsState is where the agent's settings stand: in every stream
// frame and in GET /v1/settings.
type SettingsState struct {
	// File is the configuration file, "" without one.
	File string `json:"file"`
	// Unsaved is true while applied edits are not written to File.
	Unsaved bool `json:"unsaved"`
	// CreatePath is where POST /v1/settings/create writes a file.
	CreatePath string `json:"create_path"`
}

// SettingError is one wrong value in the 422 answer of POST
// /v1/settings/{ability}: Key is its key path under abilities.NAME ("" for
// a problem with the configuration as a whole), Path the full key path.
type SettingError struct {
	Key     string `json:"key"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// SettingsErrorResponse is the 422 answer of POST /v1/settings/{ability}:
// nothing was changed, and Errors says why at each key.
type SettingsErrorResponse struct {
	Error  string         `json:"error"`
	Errors []SettingError `json:"errors"`
}

func settingErrors(ability string, errs config.Errors) []SettingError {
	prefix := "abilities." + ability + "."
	out := make([]SettingError, len(errs))
	for i, e := range errs {
		out[i] = SettingError{Key: strings.TrimPrefix(e.Path, prefix), Path: e.Path, Message: e.Msg,
			File: e.File, Line: e.Line, Column: e.Column}
		if !strings.HasPrefix(e.Path, prefix) {
			out[i].Key = ""
		}
	}
	return out
}

// configErrors turns a 422's list back into the config.Errors the
// settings form shows at its fields.
func configErrors(list []SettingError) config.Errors {
	errs := make(config.Errors, len(list))
	for i, e := range list {
		errs[i] = &config.Error{File: e.File, Pos: config.Pos{Line: e.Line, Column: e.Column}, Path: e.Path, Msg: e.Message}
	}
	return errs
}

func settingsState(s Settings) SettingsState {
	return SettingsState{File: s.File(), Unsaved: s.Unsaved(), CreatePath: s.CreatePath()}
}

// settingsAction is how an applied edit reads in the events:
// "settings timeout=5s cache_ttl=1m".
func settingsAction(values map[string]string) string {
	var b strings.Builder
	b.WriteString("settings")
	for _, k := range slices.Sorted(maps.Keys(values)) {
		fmt.Fprintf(&b, " %s=%s", k, values[k])
	}
	return b.String()
}

// RecordSettings returns s with its changes recorded as action events of
// a by actor, as the local dashboard's trips are.
func RecordSettings(a *agent.Agent, actor string, s Settings) Settings {
	return recordedSettings{Settings: s, a: a, actor: actor}
}

type recordedSettings struct {
	Settings
	a     *agent.Agent
	actor string
}

func (r recordedSettings) Apply(ability string, values map[string]string) error {
	if err := r.Settings.Apply(ability, values); err != nil {
		return err
	}
	r.a.RecordAction(r.actor, settingsAction(values), ability)
	return nil
}

func (r recordedSettings) Write() error {
	if err := r.Settings.Write(); err != nil {
		return err
	}
	r.a.RecordAction(r.actor, "write settings to "+r.Settings.File(), "")
	return nil
}

func (r recordedSettings) Create() error {
	if err := r.Settings.Create(); err != nil {
		return err
	}
	r.a.RecordAction(r.actor, "create "+r.Settings.File(), "")
	return nil
}

// errNoSettings answers the settings endpoints of a process whose
// configuration cannot be edited.
var errNoSettings = errors.New("this agentdash does not edit its configuration")

func (s *Server) settings(w http.ResponseWriter, r *http.Request) Settings {
	if s.opts.Settings == nil {
		writeError(w, http.StatusNotFound, errNoSettings)
		return nil
	}
	return RecordSettings(s.a, actor(r), s.opts.Settings)
}

func (s *Server) settingsGet(w http.ResponseWriter, r *http.Request) {
	if st := s.settings(w, r); st != nil {
		writeJSON(w, http.StatusOK, settingsState(st))
	}
}

// settingsValues answers GET /v1/settings/{ability}?keys=timeout,breaker.cooldown:
// the values the configuration gives those keys, as written; a key it does
// not set is absent.
func (s *Server) settingsValues(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	st := s.settings(w, r)
	if st == nil || !s.known(w, name) {
		return
	}
	raw := r.URL.Query().Get("keys")
	if raw == "" {
		writeError(w, http.StatusBadRequest, errors.New("keys: want a comma-separated list of key paths, e.g. keys=timeout,breaker.cooldown"))
		return
	}
	vals, err := st.Values(name, strings.Split(raw, ","))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	writeJSON(w, http.StatusOK, vals)
}

// settingsApply answers POST /v1/settings/{ability} with a body
// {"key path": "value as typed"}: the values are applied at once, as a
// reload; wrong ones are a 422 listing each at its key, and nothing
// changes.
func (s *Server) settingsApply(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	var values map[string]string
	st := s.settings(w, r)
	if st == nil || !decode(w, r, &values) || !s.known(w, name) {
		return
	}
	if len(values) == 0 {
		writeError(w, http.StatusBadRequest, errors.New(`bad JSON body: want {"key path": "value"} with one key at least`))
		return
	}
	if err := st.Apply(name, values); err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			writeJSON(w, http.StatusUnprocessableEntity, SettingsErrorResponse{Error: err.Error(), Errors: settingErrors(name, errs)})
			return
		}
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsState(st))
}

func (s *Server) settingsWrite(w http.ResponseWriter, r *http.Request) {
	st := s.settings(w, r)
	if st == nil {
		return
	}
	if err := st.Write(); err != nil {
		writeError(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsState(st))
}

func (s *Server) settingsCreate(w http.ResponseWriter, r *http.Request) {
	st := s.settings(w, r)
	if st == nil {
		return
	}
	if err := st.Create(); err != nil {
		writeError(w, http.StatusConflict, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsState(st))
}

// Settings returns the agent's live configuration, which the settings
// form of an attached dashboard edits; nil when the agent does not edit
// its configuration.
func (c *Client) Settings() Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.settings == nil {
		return nil
	}
	return remoteSettings{c}
}

// remoteSettings is the Settings of an agent in another process: the
// state (file, unsaved) is the last frame's, or the last action's answer.
type remoteSettings struct{ c *Client }

func (r remoteSettings) state() SettingsState {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	if r.c.settings == nil {
		return SettingsState{}
	}
	return *r.c.settings
}

func (r remoteSettings) Unsaved() bool      { return r.state().Unsaved }
func (r remoteSettings) File() string       { return r.state().File }
func (r remoteSettings) CreatePath() string { return r.state().CreatePath }

func (r remoteSettings) Values(ability string, keys []string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(r.c.ctx, actionTimeout)
	defer cancel()
	var vals map[string]string
	path := abilityPath("/v1/settings/", ability, "") + "?keys=" + url.QueryEscape(strings.Join(keys, ","))
	if err := r.c.do(ctx, http.MethodGet, path, nil, &vals); err != nil {
		return nil, err
	}
	return vals, nil
}

// Apply implements Settings: a 422 listing wrong values comes back as
// the config.Errors the form shows at its fields.
func (r remoteSettings) Apply(ability string, values map[string]string) error {
	return r.post(abilityPath("/v1/settings/", ability, ""), values, ability)
}

func (r remoteSettings) Write() error  { return r.post("/v1/settings/write", nil, "") }
func (r remoteSettings) Create() error { return r.post("/v1/settings/create", nil, "") }

func (r remoteSettings) post(path string, body any, ability string) error {
	ctx, cancel := context.WithTimeout(r.c.ctx, actionTimeout)
	defer cancel()
	req, err := r.c.request(ctx, http.MethodPost, path, body)
	if err != nil {
		return err
	}
	resp, err := r.c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusUnprocessableEntity {
		var ser SettingsErrorResponse
		if json.Unmarshal(b, &ser) == nil && len(ser.Errors) > 0 {
			return configErrors(ser.Errors)
		}
	}
	if resp.StatusCode != http.StatusOK {
		var er ErrorResponse
		if json.Unmarshal(b, &er) != nil || er.Error == "" {
			er.Error = strings.TrimSpace(string(b))
		}
		return &APIError{Status: resp.StatusCode, Message: er.Error}
	}
	var st SettingsState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("POST %s: bad answer: %w", path, err)
	}
	r.c.mu.Lock()
	r.c.settings = &st
	r.c.mu.Unlock()
	return nil
}
