// Package s3 is the "Amazon S3" source (service type s3): one document per object of the
// configured buckets, or of the buckets and prefixes the advanced sync rules name, with the
// object's content offered for extraction.
//
// Documents, ids and configuration are the original connector's. Listing streams one page at a
// time, a bucket that cannot be listed is reported as incomplete instead of being taken for
// empty, and throttling (SlowDown, 503, 429) is retried with backoff for a time budget. The
// environment variables AWS_ENDPOINT_URL and AWS_PORT point the source at another S3 server,
// as in the original's functional tests.
package s3

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/extract"
	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/storehttp"
)

// ServiceType is the connector service type of this source.
const ServiceType = "s3"

// Defaults of the optional fields, the original's.
const (
	DefaultReadTimeout    = 90
	DefaultConnectTimeout = 90
	DefaultMaxAttempts    = 5
	DefaultPageSize       = 100
)

// Environment variables that point the source at another S3 server. The original builds the
// endpoint as AWS_ENDPOINT_URL + ":" + AWS_PORT; without AWS_PORT the URL is taken whole, as
// AWS's own tools take AWS_ENDPOINT_URL.
const (
	EnvEndpointURL = "AWS_ENDPOINT_URL"
	EnvPort        = "AWS_PORT"
)

// defaultRegion is where requests go before a bucket's own region is known, as in botocore
// without a configured region.
const defaultRegion = "us-east-1"

const extractionTooltip = "Requires a separate deployment of the Elastic Text Extraction Service. " +
	"Requires that pipeline settings disable text extraction."

// Factory declares the source.
var Factory = connector.Factory{
	ServiceType: ServiceType,
	DisplayName: "Amazon S3",
	Features:    connector.Features{BasicRules: true, AdvancedRules: true},
	Fields: []connector.Field{
		{
			Key: "buckets", Label: "AWS Buckets", Order: 1,
			Type: connector.TypeList, Display: connector.DisplayTextarea,
			Tooltip: "AWS Buckets are ignored when Advanced Sync Rules are used.",
		},
		{Key: "aws_access_key_id", Label: "AWS Access Key Id", Order: 2},
		{Key: "aws_secret_access_key", Label: "AWS Secret Key", Order: 3, Sensitive: true},
		{
			Key: "read_timeout", Label: "Read timeout", Order: 4,
			Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, DefaultValue: DefaultReadTimeout,
			UIRestrictions: []string{connector.UIAdvanced},
		},
		{
			Key: "connect_timeout", Label: "Connection timeout", Order: 5,
			Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, DefaultValue: DefaultConnectTimeout,
			UIRestrictions: []string{connector.UIAdvanced},
		},
		{
			Key: "max_attempts", Label: "Maximum retry attempts", Order: 6,
			Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, DefaultValue: DefaultMaxAttempts,
			UIRestrictions: []string{connector.UIAdvanced},
		},
		{
			Key: "page_size", Label: "Maximum size of page", Order: 7,
			Type: connector.TypeInt, Display: connector.DisplayNumeric,
			Optional: true, DefaultValue: DefaultPageSize,
			UIRestrictions: []string{connector.UIAdvanced},
		},
		{
			Key: "use_text_extraction_service", Label: "Use text extraction service", Order: 8,
			Type: connector.TypeBool, Display: connector.DisplayToggle, Value: false,
			Tooltip: extractionTooltip, UIRestrictions: []string{connector.UIAdvanced},
		},
	},
	New: New,
}

func init() { connector.Register(Factory) }

// Source lists the objects of S3 buckets.
type Source struct {
	buckets   []string
	accessKey string
	secretKey string
	pageSize  int
	endpoint  string // "" for AWS itself
	region    string // where requests go before a bucket's region is known
	policy    retry.Policy
	hc        *storehttp.Client // every connection closed at Close
	log       *slog.Logger

	mu      sync.Mutex
	clients map[string]*awss3.Client // by region
	regions map[string]string        // bucket → region
}

var (
	_ connector.AdvancedRulesValidator = (*Source)(nil)
	_ connector.ConfigValidator        = (*Source)(nil)
)

// New builds a source from a converted configuration; it does not contact S3.
func New(cfg *connector.Config, env connector.Env) (connector.Source, error) {
	log := env.Log().With("service_type", ServiceType)
	connect := time.Duration(positive(cfg.Int("connect_timeout"), DefaultConnectTimeout)) * time.Second
	read := time.Duration(positive(cfg.Int("read_timeout"), DefaultReadTimeout)) * time.Second
	hc := storehttp.New(connect, read, 32)
	s := &Source{
		buckets:   cfg.List("buckets"),
		accessKey: cfg.String("aws_access_key_id"),
		secretKey: cfg.String("aws_secret_access_key"),
		pageSize:  min(positive(cfg.Int("page_size"), DefaultPageSize), 1000),
		endpoint:  endpointFromEnv(),
		region:    regionFromEnv(),
		// botocore's max_attempts counts retries; the policy counts tries.
		policy:  retry.Policy{Attempts: max(cfg.Int("max_attempts"), 0) + 1, Log: log},
		hc:      hc,
		log:     log,
		clients: map[string]*awss3.Client{},
		regions: map[string]string{},
	}
	return s, nil
}

func positive(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func endpointFromEnv() string {
	u := strings.TrimSpace(os.Getenv(EnvEndpointURL))
	if u == "" {
		return ""
	}
	if p := strings.TrimSpace(os.Getenv(EnvPort)); p != "" {
		u = strings.TrimRight(u, "/") + ":" + p
	}
	return u
}

func regionFromEnv() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := strings.TrimSpace(os.Getenv(k)); r != "" {
			return r
		}
	}
	return defaultRegion
}

// ValidateConfig checks what the field declarations cannot: a usable endpoint override.
func (s *Source) ValidateConfig(context.Context) error {
	if s.endpoint != "" {
		u, err := url.Parse(s.endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return fmt.Errorf("environment variable %s (with %s) gives the S3 endpoint %q, which is not an http(s) URL", EnvEndpointURL, EnvPort, s.endpoint)
		}
	}
	return nil
}

// client returns the S3 client for a region, made once.
func (s *Source) client(region string) *awss3.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[region]; ok {
		return c
	}
	opts := awss3.Options{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(s.accessKey, s.secretKey, ""),
		HTTPClient:  s.hc.HTTP,
		// Retries are the policy's (one budget for throttling, Retry-After), not the SDK's.
		Retryer: aws.NopRetryer{},
		// Content is read partly (the size cap) and checked by nothing else; skip the SDK's
		// whole-body checksums, which emulators do not all support either.
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
	}
	if s.endpoint != "" {
		opts.BaseEndpoint = aws.String(s.endpoint)
		opts.UsePathStyle = true // a local server has no per-bucket host names
	}
	c := awss3.New(opts)
	s.clients[region] = c
	return c
}

// Ping lists the buckets, as the original does. When the credentials may not list buckets
// (s3:ListAllMyBuckets is often withheld) but name their buckets, it checks instead that each
// of those can be listed, which is the permission a sync needs.
func (s *Source) Ping(ctx context.Context) error {
	_, err := s.listBuckets(ctx)
	if err == nil {
		return nil
	}
	if code(err) != "AccessDenied" || slices.Contains(s.buckets, "*") || ctx.Err() != nil {
		return s.describe(err, "listing the buckets")
	}
	s.log.Info("The credentials may not list all buckets; checking the configured buckets one by one")
	for _, b := range s.buckets {
		if err := s.checkBucket(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// checkBucket lists one key of a configured bucket.
func (s *Source) checkBucket(ctx context.Context, bucket string) error {
	region := s.bucketRegion(ctx, bucket)
	err := s.policy.Run(ctx, fmt.Sprintf("checking bucket %q", bucket), func(ctx context.Context) (retry.Verdict, error) {
		_, err := s.client(region).ListObjectsV2(ctx, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(1)})
		return classify(err), err
	})
	if err != nil {
		if code(err) == "NoSuchBucket" {
			return fmt.Errorf("configuration field \"buckets\": bucket %q does not exist", bucket)
		}
		return s.describe(err, fmt.Sprintf("listing bucket %q", bucket))
	}
	return nil
}

func (s *Source) listBuckets(ctx context.Context) ([]string, error) {
	var out *awss3.ListBucketsOutput
	err := s.policy.Run(ctx, "listing the buckets", func(ctx context.Context) (retry.Verdict, error) {
		var err error
		out, err = s.client(s.region).ListBuckets(ctx, &awss3.ListBucketsInput{})
		return classify(err), err
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(out.Buckets))
	for _, b := range out.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	return names, nil
}

// bucketRegion asks S3 where a bucket lives, once per bucket. Like the original, a bucket whose
// location cannot be read is listed through the default region (S3 then says where it is; see
// listBucket).
func (s *Source) bucketRegion(ctx context.Context, bucket string) string {
	s.mu.Lock()
	r, ok := s.regions[bucket]
	s.mu.Unlock()
	if ok {
		return r
	}
	var out *awss3.GetBucketLocationOutput
	err := s.policy.Run(ctx, fmt.Sprintf("locating bucket %q", bucket), func(ctx context.Context) (retry.Verdict, error) {
		var err error
		out, err = s.client(s.region).GetBucketLocation(ctx, &awss3.GetBucketLocationInput{Bucket: aws.String(bucket)})
		return classify(err), err
	})
	region := s.region
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("Unable to fetch the region of the bucket; using the default", "bucket", bucket, "region", region, "error", err.Error())
		}
		return region
	}
	region = locationRegion(out.LocationConstraint)
	s.setRegion(bucket, region)
	return region
}

func (s *Source) setRegion(bucket, region string) {
	s.mu.Lock()
	s.regions[bucket] = region
	s.mu.Unlock()
}

// locationRegion maps a LocationConstraint to a region: empty means us-east-1, and "EU" is the
// legacy name of eu-west-1.
func locationRegion(c types.BucketLocationConstraint) string {
	switch c {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return string(c)
}

// scope is one listing: a configured bucket, or an advanced rule's bucket, prefix and
// extensions.
type scope struct {
	bucket     string
	prefix     string
	extensions []any // nil: every object
	field      string
	// configured: the user named this bucket, so its absence is a configuration error; a
	// bucket found by listing all buckets that vanishes meanwhile is simply gone.
	configured bool
}

func (sc scope) String() string {
	if sc.prefix != "" {
		return fmt.Sprintf("bucket %q, prefix %q", sc.bucket, sc.prefix)
	}
	return fmt.Sprintf("bucket %q", sc.bucket)
}

// Docs lists every object of the configured buckets, or of the advanced rules' buckets and
// prefixes when there are rules, one page at a time.
func (s *Source) Docs(ctx context.Context, req connector.DocsRequest, emit func(connector.Document) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	scopes, err := s.scopes(ctx, req)
	if err != nil {
		return err
	}
	start, after := resumePoint(req.Checkpoint, scopes)
	for i := start; i < len(scopes); i++ {
		from := ""
		if i == start {
			from = after
		}
		if err := s.listScope(ctx, req, i, scopes[i], from, emit); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func (s *Source) scopes(ctx context.Context, req connector.DocsRequest) ([]scope, error) {
	if req.HasAdvancedRules() {
		rules, err := parseRules(req.AdvancedRules)
		if err != nil {
			return nil, err
		}
		out := make([]scope, len(rules))
		for i, r := range rules {
			out[i] = scope{bucket: r.Bucket, prefix: r.Prefix, extensions: r.Extensions,
				field: fmt.Sprintf("advanced sync rule %d", i), configured: true}
		}
		return out, nil
	}
	if slices.Contains(s.buckets, "*") {
		names, err := s.listBuckets(ctx)
		if err != nil {
			return nil, s.describe(err, "listing the buckets (configuration field \"buckets\" is \"*\")")
		}
		out := make([]scope, len(names))
		for i, n := range names {
			out[i] = scope{bucket: n, field: "buckets"}
		}
		return out, nil
	}
	out := make([]scope, 0, len(s.buckets))
	for _, b := range s.buckets {
		out = append(out, scope{bucket: b, field: "buckets", configured: true})
	}
	return out, nil
}

// Checkpoint keys: the position of the listing (scope index and bucket, to check the scopes are
// still the same) and the last key emitted there.
const (
	ckScope  = "scope"
	ckBucket = "bucket"
	ckAfter  = "after"
)

// resumePoint returns where a resumed job starts: the scope of the checkpoint and the key after
// which to list, or the beginning when there is no checkpoint or it does not fit the scopes.
func resumePoint(ck map[string]any, scopes []scope) (int, string) {
	if ck == nil {
		return 0, ""
	}
	idx, ok := asInt(ck[ckScope])
	bucket, _ := ck[ckBucket].(string)
	after, _ := ck[ckAfter].(string)
	if !ok || idx < 0 || idx >= len(scopes) || scopes[idx].bucket != bucket {
		return 0, ""
	}
	return idx, after
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case float64:
		return int(x), x == float64(int(x))
	}
	return 0, false
}

// listScope lists one bucket (under a prefix), page by page, starting after the key from.
func (s *Source) listScope(ctx context.Context, req connector.DocsRequest, idx int, sc scope, from string, emit func(connector.Document) error) error {
	region := s.bucketRegion(ctx, sc.bucket)
	in := &awss3.ListObjectsV2Input{
		Bucket:       aws.String(sc.bucket),
		MaxKeys:      aws.Int32(int32(s.pageSize)),
		FetchOwner:   aws.Bool(true),
		EncodingType: types.EncodingTypeUrl,
	}
	if sc.prefix != "" {
		in.Prefix = aws.String(sc.prefix)
	}
	if from != "" {
		in.StartAfter = aws.String(from)
	}
	log := s.log.With("bucket", sc.bucket)
	count := 0
	for {
		var page *awss3.ListObjectsV2Output
		err := s.policy.Run(ctx, "listing "+sc.String(), func(ctx context.Context) (retry.Verdict, error) {
			var err error
			page, err = s.client(region).ListObjectsV2(ctx, in)
			if r := redirectRegion(err); r != "" && r != region {
				// The bucket lives elsewhere and its location could not be read: S3 says where.
				log.Info("Bucket is in another region; following", "region", r)
				region = r
				s.setRegion(sc.bucket, r)
				page, err = s.client(region).ListObjectsV2(ctx, in)
			}
			return classify(err), err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if code(err) == "NoSuchBucket" {
				if sc.configured {
					return fmt.Errorf("%s: bucket %q does not exist", fieldRef(sc.field), sc.bucket)
				}
				log.Info("Bucket vanished while listing; its objects are gone")
				return nil
			}
			req.ReportIncomplete(sc.String(), s.describe(err, "listing "+sc.String()))
			log.Warn("Could not list the bucket; nothing of it is deleted from the index in this sync", "error", err.Error())
			return nil
		}
		last := ""
		for i := range page.Contents {
			obj := &page.Contents[i]
			key, err := decodeKey(aws.ToString(obj.Key), page.EncodingType)
			if err != nil {
				req.ReportIncomplete(sc.String(), err)
				continue
			}
			last = key
			if sc.extensions != nil && !hasExtension(key, sc.extensions) {
				continue
			}
			doc := s.document(sc.bucket, region, key, obj)
			if err := emit(doc); err != nil {
				return connector.DocError(doc.ID, err)
			}
			count++
		}
		if last != "" {
			req.SaveCheckpoint(map[string]any{ckScope: idx, ckBucket: sc.bucket, ckAfter: last})
		}
		if !aws.ToBool(page.IsTruncated) || page.NextContinuationToken == nil {
			log.Debug("Listed bucket", "prefix", sc.prefix, "documents", count)
			return nil
		}
		in.ContinuationToken = page.NextContinuationToken
		in.StartAfter = nil
	}
}

func fieldRef(field string) string {
	if strings.HasPrefix(field, "advanced") {
		return field
	}
	return fmt.Sprintf("configuration field %q", field)
}

// decodeKey undoes the URL encoding S3 applies to keys when asked (so that keys with characters
// XML cannot carry survive the listing), the way botocore does.
func decodeKey(key string, enc types.EncodingType) (string, error) {
	if enc != types.EncodingTypeUrl {
		return key, nil
	}
	k, err := url.QueryUnescape(key)
	if err != nil {
		return "", fmt.Errorf("S3 returned a key that is not URL-encoded as asked (%q): %w", key, err)
	}
	return k, nil
}

// archived storage classes cannot be downloaded until restored, so they get no content.
var archived = map[types.ObjectStorageClass]bool{
	types.ObjectStorageClassGlacier:     true,
	types.ObjectStorageClassDeepArchive: true,
}

// document is the original's document for an object: _id is the MD5 of "bucket/key".
func (s *Source) document(bucket, region, key string, obj *types.Object) connector.Document {
	var owner any = ""
	if obj.Owner != nil {
		if obj.Owner.DisplayName != nil {
			owner = *obj.Owner.DisplayName
		} else {
			owner = nil
		}
	}
	var class any
	if obj.StorageClass != "" {
		class = string(obj.StorageClass)
	}
	size := aws.ToInt64(obj.Size)
	doc := connector.Document{
		ID:        connector.HashID(bucket + "/" + key),
		Timestamp: connector.FormatTime(aws.ToTime(obj.LastModified)),
		Fields: map[string]any{
			"filename":      key,
			"size_in_bytes": size,
			"bucket":        bucket,
			"owner":         owner,
			"storage_class": class,
		},
	}
	// Empty objects have nothing to extract; the original downloads them and sends an empty
	// _attachment, which the ingest pipeline's attachment processor rejects.
	if size > 0 && extract.Supported(key) && !archived[obj.StorageClass] {
		doc.Content = &connector.Content{
			Name: key,
			Size: size,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return s.open(ctx, bucket, region, key) },
		}
	}
	return doc
}

// open starts the download of an object.
func (s *Source) open(ctx context.Context, bucket, region, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dctx, cancel := context.WithCancelCause(ctx)
	var out *awss3.GetObjectOutput
	err := s.policy.Run(dctx, fmt.Sprintf("downloading %q from bucket %q", key, bucket), func(ctx context.Context) (retry.Verdict, error) {
		var err error
		out, err = s.client(region).GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return classify(err), err
	})
	if err != nil {
		cancel(nil)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.describe(err, fmt.Sprintf("downloading %q from bucket %q", key, bucket))
	}
	return retry.WatchBody(out.Body, cancel, s.hc.Transport.ResponseHeaderTimeout), nil
}

// Close ends every connection the source opened, idle or not: by the SDK's contract no download
// is open any more.
func (s *Source) Close() error {
	s.hc.Close()
	return nil
}

// ValidateAdvancedRules checks an advanced rules snippet against the original's schema.
func (s *Source) ValidateAdvancedRules(_ context.Context, rules any) ([]string, error) {
	if msg := validateRules(rules); msg != "" {
		return []string{msg}, nil
	}
	return nil, nil
}
