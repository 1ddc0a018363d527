// Package gcs is the "Google Cloud Storage" source (service type google_cloud_storage): one
// document per object of the configured buckets (or of every bucket of the service account's
// project), with the object's content offered for extraction.
//
// It calls the Cloud Storage JSON API directly, as the original does through Google's discovery
// client, so document values are the API's own strings (sizes, generations, RFC 3339 times)
// exactly as the original stores them. It authenticates with the service account's JWT grant at
// the token_uri of its JSON. STORAGE_EMULATOR_HOST points it at an emulator (fake-gcs-server in
// the tests), as in the original's functional tests.
package gcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/storehttp"
)

// ServiceType is the connector service type of this source.
const ServiceType = "google_cloud_storage"

// EnvEmulatorHost points the source at a Cloud Storage emulator: "http://host:port" or
// "host:port". The original honours it in its functional tests.
const EnvEmulatorHost = "STORAGE_EMULATOR_HOST"

const (
	defaultRoot = "https://storage.googleapis.com/"
	consoleURL  = "https://console.cloud.google.com/storage/browser/_details/"
	// requestTimeout bounds the wait for an answer's headers (and, for downloads, between reads).
	requestTimeout = 90 * time.Second
	// attempts is the original's: three tries for a request that fails.
	attempts = 3
	// pageSize is Cloud Storage's own default and maximum, asked for explicitly so that a
	// server that would otherwise answer with everything at once (fake-gcs-server) pages too.
	pageSize = 1000
)

const extractionTooltip = "Requires a separate deployment of the Elastic Text Extraction Service. " +
	"Requires that pipeline settings disable text extraction."

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Google Cloud Storage",
	Features:    connector.Features{BasicRules: true, IncrementalSync: true},
	Fields: []connector.Field{
		{
			Key: "buckets", Label: "Google Cloud Storage buckets", Order: 1,
			Type: connector.TypeList, Display: connector.DisplayTextarea,
			Tooltip: "Names of the buckets to index, separated by commas, or * for every bucket of the service account's project.",
		},
		{
			Key: fieldCredentials, Label: "Google Cloud service account JSON", Order: 2,
			Display: connector.DisplayTextarea, Sensitive: true,
			Tooltip: "The JSON key file of a service account that may read the buckets (for example with the Storage Object Viewer role).",
		},
		{
			Key: "use_text_extraction_service", Label: "Use text extraction service", Order: 3,
			Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			Tooltip: extractionTooltip, UIRestrictions: []string{connector.UIAdvanced},
		},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source lists the objects of Cloud Storage buckets.
type Source struct {
	buckets  []string
	rawCreds string
	root     string // API root URL, ending in "/"
	pageSize int    // objects per listing page
	policy   retry.Policy
	hc       *storehttp.Client // every connection closed at Close
	log      *slog.Logger

	setupOnce sync.Once
	setupErr  error
	creds     *credentials
	tokens    *tokenSource
}

var _ connector.ConfigValidator = (*Source)(nil)

// New builds a source from a converted configuration; it does not contact Google.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	log := env.Log().With("service_type", ServiceType)
	hc := storehttp.New(30*time.Second, requestTimeout, 32)
	return &Source{
		buckets:  cfg.List("buckets"),
		rawCreds: cfg.String(fieldCredentials),
		root:     rootURL(),
		pageSize: pageSize,
		policy:   retry.Policy{Attempts: attempts, Base: time.Second, Log: log},
		hc:       hc,
		log:      log,
	}, nil
}

// rootURL is the API root: Google's, or the emulator's.
func rootURL() string {
	h := strings.TrimSpace(os.Getenv(EnvEmulatorHost))
	if h == "" {
		return defaultRoot
	}
	if !strings.Contains(h, "://") {
		h = "http://" + h
	}
	return strings.TrimRight(h, "/") + "/"
}

func (s *Source) setup() error {
	s.setupOnce.Do(func() {
		c, err := parseCredentials(s.rawCreds)
		if err != nil {
			s.setupErr = err
			return
		}
		s.creds = c
		s.tokens = &tokenSource{creds: c, client: s.hc.HTTP, policy: s.policy}
	})
	return s.setupErr
}

// ValidateConfig checks the service account JSON: valid JSON, only the keys a service account
// has, a readable private key.
func (s *Source) ValidateConfig(context.Context) error {
	if u, err := url.Parse(s.root); err != nil || u.Host == "" {
		return fmt.Errorf("environment variable %s: %q is not a host or URL", EnvEmulatorHost, os.Getenv(EnvEmulatorHost))
	}
	return s.setup()
}

// Ping gets an access token (which proves the service account) and then checks that the
// configured buckets can be listed, or, with *, that the project's buckets can. The original
// asks for the project's Cloud Storage service agent instead, which needs a permission a
// sync does not, and skips the check against the emulator.
func (s *Source) Ping(ctx context.Context) error {
	if err := s.setup(); err != nil {
		return err
	}
	if _, err := s.tokens.Token(ctx); err != nil {
		return err
	}
	if slices.Contains(s.buckets, "*") {
		q := url.Values{"project": {s.creds.ProjectID}, "userProject": {s.creds.ProjectID}, "maxResults": {"1"}}
		_, err := s.getJSON(ctx, "listing the buckets of project "+s.creds.ProjectID, s.root+"storage/v1/b?"+q.Encode(), &struct{}{})
		if err != nil {
			return s.apiError(err, fmt.Sprintf("listing the buckets of project %q (project_id of configuration field %q)", s.creds.ProjectID, fieldCredentials))
		}
		return nil
	}
	for _, b := range s.buckets {
		q := url.Values{"userProject": {s.creds.ProjectID}, "maxResults": {"1"}}
		_, err := s.getJSON(ctx, "checking bucket "+b, s.objectsURL(b)+"?"+q.Encode(), &struct{}{})
		if err != nil {
			var se *retry.StatusError
			if errors.As(err, &se) && se.Status == http.StatusNotFound {
				return fmt.Errorf("configuration field \"buckets\": bucket %q does not exist", b)
			}
			return s.apiError(err, fmt.Sprintf("listing bucket %q (configuration field \"buckets\")", b))
		}
	}
	return nil
}

func (s *Source) objectsURL(bucket string) string {
	return s.root + "storage/v1/b/" + url.PathEscape(bucket) + "/o"
}

// Docs lists every object of the buckets, one page at a time.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.setup(); err != nil {
		return err
	}
	if !slices.Contains(s.buckets, "*") {
		for _, b := range s.buckets {
			if err := s.listBucket(ctx, req, b, true, emit); err != nil {
				return err
			}
		}
		return ctx.Err()
	}
	s.log.Info("Fetching all buckets as the configuration field 'buckets' is set to '*'")
	q := url.Values{"project": {s.creds.ProjectID}, "userProject": {s.creds.ProjectID}}
	for {
		var page struct {
			Items []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"items"`
			NextPageToken string `json:"nextPageToken"`
		}
		if _, err := s.getJSON(ctx, "listing buckets", s.root+"storage/v1/b?"+q.Encode(), &page); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.apiError(err, fmt.Sprintf("listing the buckets of project %q (configuration field \"buckets\" is \"*\")", s.creds.ProjectID))
		}
		for _, b := range page.Items {
			name := b.ID
			if name == "" {
				name = b.Name
			}
			if err := s.listBucket(ctx, req, name, false, emit); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" {
			return ctx.Err()
		}
		q.Set("pageToken", page.NextPageToken)
	}
}

// listBucket emits the objects of one bucket. configured says the user named it: then a
// missing bucket is a configuration error, while a bucket found by listing that vanished is
// simply gone.
func (s *Source) listBucket(ctx context.Context, req connector.DocsRequest, bucket string, configured bool, emit func(connector.Document) error) error {
	s.log.Info("Fetching blobs for bucket", "bucket", bucket)
	q := url.Values{"userProject": {s.creds.ProjectID}, "maxResults": {strconv.Itoa(s.pageSize)}}
	count := 0
	for {
		var page struct {
			Items         []*resource `json:"items"`
			NextPageToken string      `json:"nextPageToken"`
		}
		_, err := s.getJSON(ctx, "listing bucket "+bucket, s.objectsURL(bucket)+"?"+q.Encode(), &page)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var se *retry.StatusError
			if errors.As(err, &se) && se.Status == http.StatusNotFound {
				if configured {
					return fmt.Errorf("configuration field \"buckets\": bucket %q does not exist", bucket)
				}
				s.log.Info("Bucket vanished while listing; its objects are gone", "bucket", bucket)
				return nil
			}
			cause := s.apiError(err, fmt.Sprintf("listing bucket %q", bucket))
			req.ReportIncomplete(fmt.Sprintf("bucket %q", bucket), cause)
			s.log.Warn("Could not list the bucket; nothing of it is deleted from the index in this sync", "bucket", bucket, "error", cause.Error())
			return nil
		}
		for _, item := range page.Items {
			doc := s.document(item)
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
			count++
		}
		if page.NextPageToken == "" {
			s.log.Info("Fetched the blobs of the bucket", "bucket", bucket, "count", count)
			return nil
		}
		q.Set("pageToken", page.NextPageToken)
	}
}

// resource holds the fields of an object resource the documents use, each as the API sent it
// (nil when absent); the rest of the resource (ACLs, hashes) is not decoded.
type resource struct {
	ID              any `json:"id"`
	Name            any `json:"name"`
	Bucket          any `json:"bucket"`
	ComponentCount  any `json:"componentCount"`
	ContentEncoding any `json:"contentEncoding"`
	ContentLanguage any `json:"contentLanguage"`
	ContentType     any `json:"contentType"`
	TimeCreated     any `json:"timeCreated"`
	Updated         any `json:"updated"`
	Metadata        any `json:"metadata"`
	Size            any `json:"size"`
	StorageClass    any `json:"storageClass"`
	Generation      any `json:"generation"`
}

// document is the original's document for an object resource: the API's fields under the
// original's names, values as the API gives them, and a link to the object in the console.
func (s *Source) document(item *resource) connector.Document {
	name, _ := item.Name.(string)
	bucket, _ := item.Bucket.(string)
	id, _ := item.ID.(string)
	if id == "" {
		id = bucket + "/" + name
	}
	updated, _ := item.Updated.(string)
	doc := connector.Document{
		ID:        id,
		Timestamp: updated,
		Fields: map[string]any{
			"component_count":  item.ComponentCount,
			"content_encoding": item.ContentEncoding,
			"content_language": item.ContentLanguage,
			"created_at":       item.TimeCreated,
			"last_updated":     item.Updated,
			"metadata":         item.Metadata,
			"name":             item.Name,
			"size":             item.Size,
			"storage_class":    item.StorageClass,
			"type":             item.ContentType,
			"url":              consoleURL + bucket + "/" + pyQuote(name) + ";tab=live_object?project=" + s.creds.ProjectID,
			"version":          item.Generation,
			"bucket_name":      item.Bucket,
		},
	}
	size := sizeOf(item.Size)
	if size > 0 && extract.Supported(name) {
		doc.Content = &connector.Content{
			Name: name,
			Size: size,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return s.open(ctx, bucket, name) },
		}
	}
	return doc
}

func sizeOf(v any) int64 {
	switch x := v.(type) {
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	case json.Number:
		n, _ := x.Int64()
		return n
	case float64:
		return int64(x)
	}
	return 0
}

// pyQuote is Python's urllib.parse.quote(s, safe="'"): every byte but letters, digits, "_.-~"
// and the quote is percent-encoded, "/" included.
func pyQuote(s string) string { return storehttp.Escape(s, "_.-~'") }

// open starts the download of an object's media.
func (s *Source) open(ctx context.Context, bucket, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithCancelCause(ctx)
	u := s.objectsURL(bucket) + "/" + pyQuote(name) + "?" + url.Values{"alt": {"media"}, "userProject": {s.creds.ProjectID}}.Encode()
	resp, err := s.get(dctx, fmt.Sprintf("downloading %q from bucket %q", name, bucket), u)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = retry.NewStatusError(resp)
	}
	if err != nil {
		cancel(nil)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.apiError(err, fmt.Sprintf("downloading %q from bucket %q", name, bucket))
	}
	return retry.WatchBody(resp.Body, cancel, requestTimeout), nil
}

// get sends an authorised GET under the retry policy. An access token the API refuses (it
// expired early, or was revoked) is replaced once.
func (s *Source) get(ctx context.Context, what, u string) (*http.Response, error) {
	for try := 0; ; try++ {
		var token string
		resp, err := s.policy.Do(ctx, s.hc.HTTP, what, func(ctx context.Context) (*http.Request, error) {
			t, err := s.tokens.Token(ctx)
			if err != nil {
				return nil, err
			}
			token = t
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("Authorization", "Bearer "+t)
			return req, nil
		})
		if err != nil || resp.StatusCode != http.StatusUnauthorized || try > 0 {
			return resp, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		s.tokens.invalidate(token)
	}
}

// getJSON GETs u and decodes a successful answer into out (numbers kept as json.Number);
// any other answer is returned as a *retry.StatusError.
func (s *Source) getJSON(ctx context.Context, what, u string, out any) (int, error) {
	resp, err := s.get(ctx, what, u)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, retry.NewStatusError(resp)
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s: the answer is not the JSON expected: %w", what, err)
	}
	return resp.StatusCode, nil
}

// apiError words a failed call: the API's own message for an HTTP error, the field to fix
// for authorisation errors, the network cause otherwise. It wraps err.
func (s *Source) apiError(err error, doing string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *retry.StatusError
	if errors.As(err, &se) {
		msg := apiMessage(se.Body)
		switch se.Status {
		case http.StatusUnauthorized:
			return fmt.Errorf("%s: configuration field %q: Google did not accept the access token of %s (HTTP 401: %s): %w", doing, fieldCredentials, s.creds.ClientEmail, msg, err)
		case http.StatusForbidden:
			return fmt.Errorf("%s: the service account %s (configuration field %q) is not allowed to do this (HTTP 403: %s): %w", doing, s.creds.ClientEmail, fieldCredentials, msg, err)
		}
		return fmt.Errorf("%s: Cloud Storage answered HTTP %d: %s: %w", doing, se.Status, msg, err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		where := "Cloud Storage"
		if s.root != defaultRoot {
			where = "the storage emulator at " + strings.TrimSuffix(s.root, "/") + " (" + EnvEmulatorHost + ")"
		}
		return fmt.Errorf("%s: %w", doing, retry.DescribeNetwork(err, where))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// apiMessage is the message of a JSON API error body, or the body's start.
func apiMessage(body string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(body), &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	body = strings.TrimSpace(body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return body
}

// Close ends every connection the source opened, idle or not: by the SDK's contract no download
// is open any more.
func (s *Source) Close() error {
	s.hc.Close()
	return nil
}
