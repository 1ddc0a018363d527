// Package azureblob is the "Azure Blob Storage" source (service type azure_blob_storage): one
// document per blob of the configured containers (or of every container of the account), with
// the blob's content offered for extraction.
//
// It speaks the Blob service REST API with Shared Key authorisation itself rather than through
// the Azure SDK, so that it reads the listing's metadata in the service's order: the original
// stores metadata as Python renders a dict, and the SDK for Go hands it over as an unordered
// map. The blob endpoint field points it at any Blob service, Azurite included, as the
// original's connection string does.
package azureblob

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/internal/pyfmt"
	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/storehttp"
)

// ServiceType is the connector service type of this source.
const ServiceType = "azure_blob_storage"

// Defaults of the optional fields, the original's.
const (
	DefaultRetryCount          = 3
	DefaultConcurrentDownloads = 100
)

// requestTimeout bounds the wait for an answer's headers (and, for downloads, between reads).
const requestTimeout = 90 * time.Second

const extractionTooltip = "Requires a separate deployment of the Elastic Text Extraction Service. " +
	"Requires that pipeline settings disable text extraction."

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Azure Blob Storage",
	Features:    connector.Features{BasicRules: true, IncrementalSync: true},
	Fields: []connector.Field{
		{Key: "account_name", Label: "Azure Blob Storage account name", Order: 1},
		// Not marked sensitive, as in the original (Kibana shows it); it is never logged.
		{Key: "account_key", Label: "Azure Blob Storage account key", Order: 2},
		{
			Key: "blob_endpoint", Label: "Azure Blob Storage blob endpoint", Order: 3,
			Tooltip: "For example https://<account>.blob.core.windows.net, or http://127.0.0.1:10000/devstoreaccount1 for Azurite.",
		},
		{
			Key: "containers", Label: "Azure Blob Storage containers", Order: 4,
			Type: connector.TypeList, Display: connector.DisplayTextarea,
			Tooltip: "Names of the containers to index, separated by commas, or * for every container of the account.",
		},
		{
			Key: "retry_count", Label: "Retries per request", Order: 5,
			Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, DefaultValue: DefaultRetryCount,
			UIRestrictions: []string{connector.UIAdvanced},
		},
		{
			Key: "concurrent_downloads", Label: "Maximum concurrent downloads", Order: 6,
			Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, DefaultValue: DefaultConcurrentDownloads,
			Validations:    []connector.Validation{connector.LessThan(DefaultConcurrentDownloads + 1)},
			UIRestrictions: []string{connector.UIAdvanced},
		},
		{
			Key: "use_text_extraction_service", Label: "Use text extraction service", Order: 7,
			Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			Tooltip: extractionTooltip, UIRestrictions: []string{connector.UIAdvanced},
		},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source lists the blobs of Azure Blob Storage containers.
type Source struct {
	account    string
	rawKey     string
	endpoint   string
	containers []string
	downloads  int
	pageSize   int // blobs per listing page; 0 leaves it to the service (5000)
	idle       time.Duration
	policy     retry.Policy
	hc         *storehttp.Client // every connection closed at Close
	log        *slog.Logger

	setupOnce sync.Once
	setupErr  error
	api       *client // set by setup
}

var (
	_ connector.ConfigValidator            = (*Source)(nil)
	_ connector.DownloadConcurrencyLimiter = (*Source)(nil)
)

// New builds a source from a converted configuration; it does not contact Azure.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	log := env.Log().With("service_type", ServiceType)
	hc := storehttp.New(30*time.Second, requestTimeout, 64)
	retries := cfg.Int("retry_count")
	if retries < 0 {
		retries = 0
	}
	return &Source{
		account:    strings.TrimSpace(cfg.String("account_name")),
		rawKey:     strings.TrimSpace(cfg.String("account_key")),
		endpoint:   strings.TrimSpace(cfg.String("blob_endpoint")),
		containers: cfg.List("containers"),
		downloads:  cfg.Int("concurrent_downloads"),
		idle:       requestTimeout,
		// retry_count counts retries, as the Azure SDK's retry_total does; the policy counts tries.
		policy: retry.Policy{Attempts: retries + 1, Base: 800 * time.Millisecond, Log: log},
		hc:     hc,
		log:    log,
	}, nil
}

// MaxConcurrentDownloads is the concurrent_downloads field, as the original sets the service's
// download concurrency from it.
func (s *Source) MaxConcurrentDownloads() int { return s.downloads }

// setup checks the fields that make the connection and builds the client, once.
func (s *Source) setup() error {
	s.setupOnce.Do(func() {
		key, err := base64.StdEncoding.DecodeString(s.rawKey)
		if err != nil || len(key) == 0 {
			s.setupErr = errors.New(`configuration field "account_key": not a storage account key (the base64 text Azure shows under Access keys)`)
			return
		}
		u, err := url.Parse(strings.TrimRight(s.endpoint, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			s.setupErr = fmt.Errorf("configuration field \"blob_endpoint\": %q is not the account's blob endpoint URL (https://<account>.blob.core.windows.net)", s.endpoint)
			return
		}
		s.api = &client{endpoint: u, account: s.account, key: key, httpc: s.hc.HTTP, policy: s.policy}
	})
	return s.setupErr
}

// ValidateConfig checks the key and the endpoint without contacting Azure.
func (s *Source) ValidateConfig(context.Context) error { return s.setup() }

// Ping asks for the account's information, as the original does, and checks that the
// configured containers exist.
func (s *Source) Ping(ctx context.Context) error {
	if err := s.setup(); err != nil {
		return err
	}
	resp, err := s.api.get(ctx, "getting the account information", "/", url.Values{"restype": {"account"}, "comp": {"properties"}})
	if err != nil {
		return s.describe(err, "getting the account information")
	}
	drain(resp)
	if slices.Contains(s.containers, "*") {
		return nil
	}
	for _, c := range s.containers {
		resp, err := s.api.get(ctx, "checking container "+c, "/"+escapePath(c), url.Values{"restype": {"container"}})
		if err != nil {
			var ae *apiError
			if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
				return fmt.Errorf("configuration field \"containers\": container %q does not exist in account %q", c, s.account)
			}
			return s.describe(err, fmt.Sprintf("checking container %q", c))
		}
		drain(resp)
	}
	return nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// Docs lists the account's containers, keeps the configured ones, and emits their blobs one
// page at a time.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.setup(); err != nil {
		return err
	}
	all := slices.Contains(s.containers, "*")
	wanted := map[string]bool{}
	for _, c := range s.containers {
		wanted[c] = true
	}
	q := url.Values{"comp": {"list"}, "include": {"metadata"}}
	for {
		var page containerList
		if err := s.api.getXML(ctx, "listing containers", "/", q, &page); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// Which containers exist is unknown, so nothing can be listed.
			return s.describe(err, "listing the containers of account "+strconv.Quote(s.account))
		}
		for _, c := range page.Containers {
			if !all && !wanted[c.Name] {
				continue
			}
			delete(wanted, c.Name)
			if err := s.listContainer(ctx, req, c.Name, c.Metadata, emit); err != nil {
				return err
			}
		}
		if page.NextMarker == "" {
			break
		}
		q.Set("marker", page.NextMarker)
	}
	if !all && len(wanted) > 0 {
		var missing []string
		for _, c := range s.containers {
			if wanted[c] {
				missing = append(missing, c)
			}
		}
		return fmt.Errorf("configuration field \"containers\": container(s) %s do not exist in account %q", strings.Join(missing, ", "), s.account)
	}
	return ctx.Err()
}

// listContainer emits the blobs of one container.
func (s *Source) listContainer(ctx context.Context, req connector.DocsRequest, container string, meta metadata, emit func(connector.Document) error) error {
	containerMeta := "None"
	if meta.present {
		containerMeta = pyDict(meta.pairs)
	}
	q := url.Values{"restype": {"container"}, "comp": {"list"}, "include": {"metadata"}}
	if s.pageSize > 0 {
		q.Set("maxresults", strconv.Itoa(s.pageSize))
	}
	count := 0
	for {
		var page blobList
		err := s.api.getXML(ctx, "listing container "+container, "/"+escapePath(container), q, &page)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ae *apiError
			if errors.As(err, &ae) && ae.Code == "ContainerNotFound" {
				s.log.Info("Container vanished while listing; its blobs are gone", "container", container)
				return nil
			}
			cause := s.describe(err, fmt.Sprintf("listing container %q", container))
			req.ReportIncomplete(fmt.Sprintf("container %q", container), cause)
			s.log.Warn("Could not list the container; nothing of it is deleted from the index in this sync", "container", container, "error", cause.Error())
			return nil
		}
		for i := range page.Blobs {
			doc := s.document(container, containerMeta, &page.Blobs[i])
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
			count++
		}
		if page.NextMarker == "" {
			s.log.Debug("Listed container", "container", container, "blobs", count)
			return nil
		}
		q.Set("marker", page.NextMarker)
	}
}

// document is the original's document for a blob: _id "container/name", and the listing's
// properties under the original's keys (some with spaces), metadata and lease rendered as
// Python prints them.
func (s *Source) document(container, containerMeta string, b *blobItem) connector.Document {
	name := b.name()
	p := &b.Properties
	doc := connector.Document{
		ID:        container + "/" + name,
		Timestamp: isoTime(p.LastModified),
		Fields: map[string]any{
			"created at":         nullable(isoTime(p.CreationTime)),
			"content type":       nullable(p.ContentType),
			"container metadata": containerMeta,
			"metadata":           pyDict(b.Metadata.pairs),
			"leasedata":          leaseRepr(p.LeaseStatus, p.LeaseState, p.LeaseDuration),
			"title":              name,
			"tier":               nullable(p.AccessTier),
			"size":               p.ContentLength,
			"container":          container,
		},
	}
	if p.ContentLength > 0 && p.AccessTier != "Archive" && extract.Supported(name) {
		size := p.ContentLength
		doc.Content = &connector.Content{
			Name: name,
			Size: size,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return s.open(ctx, container, name) },
		}
	}
	return doc
}

// isoTime turns the listing's RFC 1123 time into the original's isoformat(); "" stays "".
func isoTime(s string) string {
	if s == "" {
		return ""
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return s
	}
	return connector.FormatTime(t)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// pyDict renders metadata as Python's str() of a dict of strings, in the listing's order.
func pyDict(pairs [][2]string) string {
	parts := make([]string, len(pairs))
	for i, kv := range pairs {
		parts[i] = pyfmt.Quote(kv[0]) + ": " + pyfmt.Quote(kv[1])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// leaseRepr renders the lease as the SDK's LeaseProperties prints: a dict whose missing values
// (no lease duration unless leased) are None.
func leaseRepr(status, state, duration string) string {
	v := func(s string) string {
		if s == "" {
			return "None"
		}
		return pyfmt.Quote(s)
	}
	return "{'status': " + v(status) + ", 'state': " + v(state) + ", 'duration': " + v(duration) + "}"
}

// open starts the download of a blob.
func (s *Source) open(ctx context.Context, container, name string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithCancelCause(ctx)
	what := fmt.Sprintf("downloading %q from container %q", name, container)
	resp, err := s.api.get(dctx, what, "/"+escapePath(container)+"/"+escapePath(name), nil)
	if err != nil {
		cancel(nil)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.describe(err, what)
	}
	return retry.WatchBody(resp.Body, cancel, s.idle), nil
}

// describe words a failed call: the field to fix for authentication errors, the service's code
// and message otherwise, or the network cause. It wraps err.
func (s *Source) describe(err error, doing string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ae *apiError
	if errors.As(err, &ae) {
		switch {
		case ae.Code == "AuthenticationFailed" || ae.Code == "AuthorizationFailure" && ae.Status == http.StatusForbidden && strings.Contains(ae.Message, "signature"):
			return fmt.Errorf("%s: configuration fields \"account_name\" and \"account_key\": the Blob service did not accept the signature made with this account key (%s): %w", doing, ae.Code, err)
		case ae.Status == http.StatusForbidden:
			return fmt.Errorf("%s: the account key of configuration field \"account_key\" is not allowed to do this (%v): %w", doing, ae, err)
		case ae.Code == "ResourceNotFound" || ae.Code == "InvalidUri" || ae.Status == http.StatusBadRequest && ae.Code == "":
			return fmt.Errorf("%s: configuration field \"blob_endpoint\": %s does not look like the blob endpoint of account %q (%v): %w", doing, s.endpoint, s.account, ae, err)
		}
		return fmt.Errorf("%s: the Blob service answered %v: %w", doing, ae, err)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("%s: configuration field \"blob_endpoint\": %w", doing, retry.DescribeNetwork(err, s.endpoint))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// Close ends every connection the source opened, idle or not: by the SDK's contract no download
// is open any more.
func (s *Source) Close() error {
	s.hc.Close()
	return nil
}
