package graphql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/connectors-go/connectors/sources/internal/retry"
)

// Retries: the original tries a request 3 times with 2 s and 4 s pauses. Here throttling and
// server errors get more patience (honouring Retry-After), and errors that another try cannot
// fix (401, 403, 400, 404) none.
const (
	attempts    = 6
	baseBackoff = time.Second
	maxBackoff  = 60 * time.Second
)

// maxResponse bounds the size of one response body.
const maxResponse = 256 << 20

// responseError is a failed request: an HTTP status, or a GraphQL error list.
type responseError struct {
	status     int
	retryAfter time.Duration
	msg        string
}

func (e *responseError) Error() string { return e.msg }

// execute sends query with variables and returns the response's data object.
func (s *Source) execute(ctx context.Context, p *plan, query string, variables map[string]any) (map[string]any, error) {
	var lastErr error
	for attempt := range attempts {
		data, err := s.do(ctx, p, query, variables)
		if err == nil {
			return data, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		wait, retry := retryDelay(err, attempt)
		if !retry || attempt == attempts-1 {
			break
		}
		s.log.Debug("GraphQL request failed; retrying", "attempt", attempt+1, "wait", wait, "error", err)
		if err := s.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
	return nil, lastErr
}

// retryDelay says whether err is worth another try and how long to wait first: the server's
// Retry-After when it sent one, else capped exponential backoff with jitter.
func retryDelay(err error, attempt int) (time.Duration, bool) {
	backoff := retry.Backoff(attempt, baseBackoff, maxBackoff)
	var re *responseError
	if errors.As(err, &re) {
		switch {
		case re.status == http.StatusTooManyRequests || re.status == http.StatusServiceUnavailable:
			if re.retryAfter >= 0 {
				return min(re.retryAfter, 5*maxBackoff), true
			}
			return backoff, true
		case re.status >= 500:
			return backoff, true
		}
		return 0, false
	}
	var ce *configError
	if errors.As(err, &ce) {
		return 0, false
	}
	return backoff, true // the connection failed or the body was cut short
}

// configError is an error the settings must fix; it is never retried.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// do sends one request.
func (s *Source) do(ctx context.Context, p *plan, query string, variables map[string]any) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := s.newRequest(ctx, p, query, variables)
	if err != nil {
		return nil, &configError{err}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf(`GraphQL endpoint %s did not answer within %v (configuration field "connection_timeout"): %w`, s.where(), s.timeout, err)
		}
		return nil, fmt.Errorf(`cannot reach the GraphQL endpoint %s (configuration field "http_endpoint"): %w`, s.where(), unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("reading the response of %s: %w", s.where(), err)
	}
	if len(body) > maxResponse {
		return nil, &configError{fmt.Errorf("the response of %s is larger than %d MiB; ask for fewer objects per page", s.where(), maxResponse>>20)}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		fields := `"authentication_method"`
		switch s.auth {
		case AuthBasic:
			fields = `"username" and "password"`
		case AuthBearer:
			fields = `"token"`
		}
		return nil, &responseError{status: resp.StatusCode, msg: fmt.Sprintf("configuration fields %s: Provided credentials or token do not have the necessary permissions to perform the request. (HTTP %d from %s)", fields, resp.StatusCode, s.where())}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &responseError{status: resp.StatusCode, retryAfter: parseRetryAfter(resp.Header, s.now()),
			msg: fmt.Sprintf("GraphQL endpoint %s answered HTTP %d: %s", s.where(), resp.StatusCode, snippet(body))}
	}
	var envelope struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&envelope); err != nil {
		return nil, &configError{fmt.Errorf("the response of %s is not JSON (%v): %s", s.where(), err, snippet(body))}
	}
	if len(envelope.Errors) > 0 {
		return nil, &configError{fmt.Errorf("Error while executing query. Exception: %s", errorsText(envelope.Errors))}
	}
	data := map[string]any{}
	if len(envelope.Data) > 0 && string(envelope.Data) != "null" {
		dec := json.NewDecoder(bytes.NewReader(envelope.Data))
		dec.UseNumber()
		if err := dec.Decode(&data); err != nil {
			return nil, &configError{fmt.Errorf("the data of the response of %s is not a JSON object: %v", s.where(), err)}
		}
	}
	return data, nil
}

// newRequest builds the request the original sends: POST {"query", "variables"} as JSON, or GET
// ?query=. Unlike the original, a GET also carries the variables when there are any (the
// pagination cursor among them), since without them a paginated GET asks for the first page
// forever.
func (s *Source) newRequest(ctx context.Context, p *plan, query string, variables map[string]any) (*http.Request, error) {
	if variables == nil {
		variables = map[string]any{}
	}
	var req *http.Request
	var err error
	if s.method == MethodGet {
		u, perr := url.Parse(s.endpoint)
		if perr != nil {
			return nil, fieldErr("http_endpoint", "GraphQL HTTP endpoint is not a valid URL.")
		}
		q := u.Query()
		q.Set("query", query)
		if len(variables) > 0 {
			b, err := encodeJSON(variables)
			if err != nil {
				return nil, fieldErr("graphql_variables", "cannot be sent: %v", err)
			}
			q.Set("variables", string(b))
		}
		u.RawQuery = q.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	} else {
		b, merr := encodeJSON(struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}{query, variables})
		if merr != nil {
			return nil, fieldErr("graphql_variables", "cannot be sent: %v", merr)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		return nil, fieldErr("http_endpoint", "GraphQL HTTP endpoint is not a valid URL.")
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range p.headers {
		req.Header[k] = vs
	}
	switch s.auth {
	case AuthBasic:
		req.SetBasicAuth(s.username, s.password)
	case AuthBearer:
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	return req, nil
}

// where names the endpoint without its query string or credentials.
func (s *Source) where() string {
	u, err := url.Parse(s.endpoint)
	if err != nil {
		return "(invalid URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// parseRetryAfter reads a Retry-After header; -1 when there is none (0 is the server asking for
// an immediate retry).
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := retry.ParseRetryAfter(h, now); ok {
		return d
	}
	return -1
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// errorsText lists the messages of a GraphQL error list.
func errorsText(errs []any) string {
	var msgs []string
	for _, e := range errs {
		if m, ok := e.(map[string]any); ok {
			if msg, ok := m["message"].(string); ok {
				if path, ok := m["path"].([]any); ok && len(path) > 0 {
					var parts []string
					for _, p := range path {
						parts = append(parts, fmt.Sprint(p))
					}
					msg += " (at " + strings.Join(parts, ".") + ")"
				}
				msgs = append(msgs, msg)
				continue
			}
		}
		b, _ := json.Marshal(e)
		msgs = append(msgs, string(b))
	}
	return strings.Join(msgs, "; ")
}
