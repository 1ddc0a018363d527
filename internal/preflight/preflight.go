// Package preflight runs the start-up checks of the service before any
// connector work: wait for Elasticsearch, apply the version rule, probe the
// optional extraction service, validate which connectors to run, and make
// sure the connector system indices exist and can serve the protocol.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/es"
	"github.com/connectors-go/connectors/internal/logging"
	"github.com/connectors-go/connectors/internal/protocol"
)

// Params are the inputs of Run.
type Params struct {
	Config  *config.Config
	Client  *es.Client
	Version string // the service's own version
	Log     *slog.Logger
	// Getenv, Sleep and Now are replaced in tests; nil means the real ones.
	Getenv func(string) string
	Sleep  func(ctx context.Context, d time.Duration) error
	Now    func() time.Time
	// SkipServiceChecks leaves out the "which connectors to run" rules, for
	// commands that only need a reachable, compatible cluster.
	SkipServiceChecks bool
	// HTTPClient reaches the extraction service; nil means a default client.
	HTTPClient *http.Client
}

// Result is what later stages need to know about the cluster.
type Result struct {
	Info       *es.Info
	Serverless bool
}

// Error is a failed preflight; the message is meant for the operator as is.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func fail(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Run performs the checks in the original's order (service-spec §3.1).
func Run(ctx context.Context, p Params) (*Result, error) {
	if p.Log == nil {
		p.Log = slog.Default()
	}
	if p.Sleep == nil {
		p.Sleep = es.Sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	p.Log.Info("Running preflight checks")
	info, err := waitForES(ctx, p)
	if err != nil {
		return nil, err
	}
	check := es.CheckVersion(info, p.Version, p.Getenv)
	switch check.Level {
	case es.Incompatible:
		return nil, fail("version check failed: %s (set %s=true to start anyway)", check.Message, es.AllowMismatchEnv)
	case es.CompatibleWithWarning:
		p.Log.Warn(check.Message)
	default:
		p.Log.Info(check.Message)
	}
	res := &Result{Info: info, Serverless: check.Serverless}

	if x := p.Config.ExtractionService; x != nil {
		probeExtractionService(ctx, p, x.Host)
	}

	var problems []config.Problem
	if !p.SkipServiceChecks {
		for _, w := range p.Config.ServiceWarnings() {
			p.Log.Warn(w)
		}
		problems = p.Config.ServiceProblems()
	}
	// Like the original, the indices step runs even when the configuration is
	// wrong, so one start-up reports both kinds of problem.
	idxErr := ensureSystemIndices(ctx, p, info)
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, pr := range problems {
			msgs[i] = pr.String()
		}
		return nil, fail("configuration %s: %s", p.Config.Path, strings.Join(msgs, "; "))
	}
	if idxErr != nil {
		return nil, idxErr
	}
	return res, nil
}

// waitForES polls GET / with exponential backoff until Elasticsearch answers
// or max_wait_duration passes; the last wait is cut short so that the last
// attempt comes when the budget ends. Answers that cannot improve by waiting
// (bad credentials, a server that is not Elasticsearch) end the wait at once,
// where the original kept retrying until the deadline.
func waitForES(ctx context.Context, p Params) (*es.Info, error) {
	cfg := p.Config.Elasticsearch
	client := p.Client.WithoutRetries()
	budget := config.Seconds(cfg.MaxWaitDuration)
	backoff := config.Seconds(cfg.InitialBackoffDuration)
	start := p.Now()
	var lastErr error
	attempts := 0
	for {
		attempts++
		p.Log.Info("Waiting for Elasticsearch", "host", client.Host(), "so_far", roundDuration(p.Now().Sub(start)).String())
		info, err := client.Info(ctx)
		if err == nil {
			return info, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var notES *es.NotElasticsearchError
		if errors.As(err, &notES) {
			return nil, fail("%v", err)
		}
		switch es.StatusOf(err) {
		case http.StatusUnauthorized:
			return nil, fail("Elasticsearch at %s rejected the credentials (%v): check elasticsearch.api_key or elasticsearch.username/password", client.Host(), err)
		case http.StatusForbidden:
			return nil, fail("Elasticsearch at %s refused access (%v): the user or API key lacks the privileges the service needs", client.Host(), err)
		}
		lastErr = err
		p.Log.Warn("Elasticsearch is not ready", "error", err.Error())
		remaining := budget - p.Now().Sub(start)
		if remaining <= 0 {
			break
		}
		if err := p.Sleep(ctx, min(backoff, remaining)); err != nil {
			return nil, err
		}
		backoff = time.Duration(float64(backoff) * cfg.BackoffMultiplier)
	}
	return nil, fail("%s seems to be unreachable after %s (%d attempts within elasticsearch.max_wait_duration %s; last error: %v); check elasticsearch.host and that the cluster is up",
		client.Host(), roundDuration(p.Now().Sub(start)), attempts, budget, lastErr)
}

// roundDuration keeps a duration readable: whole seconds from a second up.
func roundDuration(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Millisecond)
}

func probeExtractionService(ctx context.Context, p Params, host string) {
	hc := p.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	shown := config.RedactURL(host)
	url := strings.TrimRight(host, "/") + "/ping/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		p.Log.Error("Extraction service is misconfigured: extraction_service.host is not a URL", "host", shown)
		return
	}
	res, err := hc.Do(req)
	if err != nil {
		msg := err.Error()
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			msg = fmt.Sprintf("%s %s: %v", uerr.Op, config.RedactURL(uerr.URL), uerr.Err)
		}
		p.Log.Log(ctx, logging.LevelCritical, "Extraction service could not be reached; binary content will not be extracted until it is", "host", shown, "error", msg)
		return
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		p.Log.Warn("Extraction service answered the ping with an error", "host", shown, "status", res.StatusCode)
		return
	}
	p.Log.Info("Extraction service is reachable", "host", shown)
}

// ensureSystemIndices makes the connector indices usable (see
// protocol.EnsureSystemIndices), retrying preflight_max_attempts times on
// errors that waiting can fix; a wrongly mapped index fails at once.
func ensureSystemIndices(ctx context.Context, p Params, info *es.Info) error {
	attempts := p.Config.Service.PreflightMaxAttempts
	idle := config.Seconds(p.Config.Service.PreflightIdle)
	major := 0
	fmt.Sscanf(info.Version.Number, "%d", &major)
	opts := protocol.BootstrapOptions{Major: major, Serverless: info.Serverless(), Log: p.Log}
	var lastErr error
	for attempt := 0; attempt <= attempts; attempt++ {
		lastErr = protocol.EnsureSystemIndices(ctx, p.Client, opts)
		if lastErr == nil {
			return nil
		}
		var bad *protocol.IndexProblemError
		if errors.As(lastErr, &bad) {
			return fail("%v", lastErr)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt < attempts {
			p.Log.Warn(fmt.Sprintf("Attempt %d/%d to create the system indices failed. Retrying...", attempt+1, attempts), "error", lastErr.Error())
			if err := p.Sleep(ctx, idle); err != nil {
				return err
			}
		}
	}
	return fail("could not create the connector system indices after %d retries: %v", attempts, lastErr)
}
