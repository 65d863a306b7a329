package control

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ListenOptions says where to serve the API.
type ListenOptions struct {
	// Dir is the per-user directory of the socket, made with EnsureDir.
	Dir string
	// TCPAddr, if not empty, also serves on TCP (host:port), always with
	// a bearer token.
	TCPAddr string
	// AllowRemote must be set for a TCPAddr that is not loopback.
	AllowRemote bool
}

// Endpoint is the API served on a socket (and maybe TCP) until Close.
type Endpoint struct {
	srv    *Server
	dir    string
	base   string
	info   Info
	https  []*http.Server
	wg     sync.WaitGroup
	closed sync.Once
}

// IsLoopback reports whether host names only the loopback interface. An
// empty host (all interfaces) is not.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen serves s on a Unix socket NAME-PID.sock in o.Dir (mode 0600),
// with a sidecar NAME-PID.json describing the process for ps, after
// removing the files of processes that are gone. With o.TCPAddr it also
// serves on TCP behind a bearer token: 256 random bits written to
// NAME-PID.token (0600), which attach reads.
func Listen(s *Server, o ListenOptions) (*Endpoint, error) {
	if o.TCPAddr != "" {
		host, _, err := net.SplitHostPort(o.TCPAddr)
		if err != nil {
			return nil, fmt.Errorf("control address %q: %w (want host:port, e.g. 127.0.0.1:8766)", o.TCPAddr, err)
		}
		if !IsLoopback(host) && !o.AllowRemote {
			return nil, fmt.Errorf("control address %s is not loopback: anyone who reaches it with the token controls the agent; allow it explicitly", o.TCPAddr)
		}
	}
	if err := EnsureDir(o.Dir); err != nil {
		return nil, err
	}
	_, _ = List(o.Dir) // cleans up after dead processes
	in := s.opts.Info
	e := &Endpoint{srv: s, dir: o.Dir}
	uln, err := e.listenUnix(fileBase(in.Name, in.PID))
	if err != nil {
		return nil, err
	}
	socket := filepath.Join(o.Dir, e.base+".sock")
	if err := os.Chmod(socket, 0o600); err != nil {
		_ = uln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	in.Socket = socket
	listeners := []net.Listener{uln}
	handlers := []http.Handler{s.Handler()}
	if o.TCPAddr != "" {
		tln, tokenFile, err := e.listenTCP(o.TCPAddr, handlers[0], &handlers)
		if err != nil {
			_ = uln.Close()
			removeFiles(o.Dir, e.base)
			return nil, err
		}
		listeners = append(listeners, tln)
		in.TCP, in.TokenFile = tln.Addr().String(), tokenFile
	}
	e.info = in
	s.opts.Info = in
	if err := writeSidecar(filepath.Join(o.Dir, e.base+".json"), in); err != nil {
		for _, ln := range listeners {
			_ = ln.Close()
		}
		removeFiles(o.Dir, e.base)
		return nil, err
	}
	for i, ln := range listeners {
		hs := &http.Server{
			Handler:           handlers[i],
			ReadHeaderTimeout: 10 * time.Second,
			BaseContext:       func(net.Listener) context.Context { return s.ctx },
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				return context.WithValue(ctx, actorKey{}, peerOf(c))
			},
		}
		e.https = append(e.https, hs)
		e.wg.Go(func() { _ = hs.Serve(ln) })
	}
	return e, nil
}

// listenUnix binds the socket BASE.sock, or BASE.XXXX.sock when that name
// is taken: one process normally serves one agent, but a second one (tests,
// a program embedding two) must not take the first one's files. A name is
// never freed here: bind fails on any file, and List removes the stale
// ones.
func (e *Endpoint) listenUnix(base string) (net.Listener, error) {
	e.base = base
	for range 8 {
		ln, err := net.Listen("unix", filepath.Join(e.dir, e.base+".sock"))
		if err == nil {
			return ln, nil
		}
		if _, serr := os.Lstat(filepath.Join(e.dir, e.base+".sock")); serr != nil {
			return nil, fmt.Errorf("control socket: %w", err)
		}
		var r [2]byte
		_, _ = rand.Read(r[:])
		e.base = base + "." + hex.EncodeToString(r[:])
	}
	return nil, fmt.Errorf("control socket: no free name for %s in %s", base, e.dir)
}

// listenTCP listens on addr and writes the token file; it appends the
// token-checking handler to handlers.
func (e *Endpoint) listenTCP(addr string, h http.Handler, handlers *[]http.Handler) (net.Listener, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("control token: %w", err)
	}
	token := hex.EncodeToString(raw)
	tokenFile := filepath.Join(e.dir, e.base+".token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		return nil, "", fmt.Errorf("control token: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("control address: %w", err)
	}
	*handlers = append(*handlers, RequireToken(token, h))
	return ln, tokenFile, nil
}

// RequireToken lets through the requests that carry token as a bearer
// token: a missing one is 401, a wrong one 403.
func RequireToken(token string, h http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if got == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="agentdash"`)
			writeError(w, http.StatusUnauthorized, errors.New("missing bearer token: send Authorization: Bearer TOKEN, the token in the file named by ps"))
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			writeError(w, http.StatusForbidden, errors.New("wrong bearer token"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Info returns the process's description, with its socket and TCP
// address.
func (e *Endpoint) Info() Info { return e.info }

// Close stops serving (ending the streams at once), removes the socket,
// sidecar and token file, and stops the load sessions started through the
// API. It is idempotent.
func (e *Endpoint) Close() {
	e.closed.Do(func() {
		removeFiles(e.dir, e.base)
		e.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		for _, hs := range e.https {
			if hs.Shutdown(ctx) != nil {
				_ = hs.Close()
			}
		}
		e.wg.Wait()
	})
}
