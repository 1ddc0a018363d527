package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsretry "github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/connectors-go/connectors/sources/internal/retry"
)

// classify decides how a failed SDK call is retried: the SDK's own lists of throttling and
// retryable error codes, HTTP 429/503 as throttling, other 5xx and network errors as transient.
func classify(err error) retry.Verdict {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return retry.Verdict{}
	}
	var after time.Duration
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		status = re.Response.StatusCode
		after = retry.RetryAfter(re.Response.Header, time.Now())
	}
	if awsretry.IsErrorThrottles(awsretry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return retry.Verdict{Class: retry.Throttled, RetryAfter: after}
	}
	if status != 0 {
		if c := retry.StatusClass(status); c != retry.Permanent {
			return retry.Verdict{Class: c, RetryAfter: after}
		}
		if _, ok := awsretry.DefaultRetryableErrorCodes[code(err)]; ok {
			return retry.Verdict{Class: retry.Transient}
		}
		return retry.Verdict{}
	}
	return retry.Verdict{Class: retry.NetworkClass(err)}
}

// code is the S3 error code of err ("NoSuchBucket", "AccessDenied", …), "" when there is none.
func code(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// redirectRegion is the region S3 names when a bucket was asked for in the wrong one.
func redirectRegion(err error) string {
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return ""
	}
	switch re.Response.StatusCode {
	case http.StatusMovedPermanently, http.StatusBadRequest, http.StatusForbidden:
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

// describe turns an SDK error into a message that says what was being done, which setting is
// at fault when one is, and S3's own words; it wraps err.
func (s *Source) describe(err error, doing string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	where := "AWS S3"
	if s.endpoint != "" {
		where = "the S3 server at " + s.endpoint + " (environment variable " + EnvEndpointURL + ")"
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		msg := api.ErrorMessage()
		switch api.ErrorCode() {
		case "InvalidAccessKeyId":
			return fmt.Errorf("%s: configuration field \"aws_access_key_id\": %s does not know this access key id (InvalidAccessKeyId): %w", doing, where, err)
		case "SignatureDoesNotMatch":
			return fmt.Errorf("%s: configuration field \"aws_secret_access_key\": the secret key does not belong to the access key id (SignatureDoesNotMatch): %w", doing, err)
		case "AccessDenied", "AllAccessDisabled":
			return fmt.Errorf("%s: the credentials of configuration field \"aws_access_key_id\" are not allowed to do this (%s: %s): %w", doing, api.ErrorCode(), msg, err)
		case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
			return fmt.Errorf("%s: configuration fields \"aws_access_key_id\"/\"aws_secret_access_key\": the credentials are no longer valid (%s): %w", doing, api.ErrorCode(), err)
		}
		return fmt.Errorf("%s: %s answered %s: %s: %w", doing, where, api.ErrorCode(), msg, err)
	}
	if e, ok := retry.ExplainNetwork(err, where); ok {
		return fmt.Errorf("%s: %w", doing, e)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return fmt.Errorf("%s: %s answered HTTP %d: %w", doing, where, re.Response.StatusCode, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
