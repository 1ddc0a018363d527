package extract

import (
	"errors"
	"fmt"
)

// Config gathers what the service's configuration says about content extraction.
type Config struct {
	// Mode: "" or ModeAuto for the original's behaviour; see the Mode constants.
	Mode Mode
	// MaxFileSize is service.max_file_download_size in bytes: 0 means the 10 MiB default, negative no
	// limit. It applies to the attachment and local modes; the service mode ignores it, as the original
	// does.
	MaxFileSize int64
	// Service is the extraction_service section, nil when config.yml has none.
	Service *ServiceConfig
	// Local configures in-process extraction. Its MaxFileSize is taken from the field above.
	Local LocalConfig
}

// Selector holds the process's extractors and picks one per sync job. The local extractor, and so
// PDFium, is shared by all jobs, which is what bounds PDFium instances process-wide.
type Selector struct {
	mode       Mode
	attachment *Attachment
	service    *Service
	local      *Local
}

// New builds the extractors a configuration asks for. It fails when the configuration contradicts itself,
// e.g. mode "service" without extraction_service.host.
func New(cfg Config) (*Selector, error) {
	mode := cfg.Mode
	if mode == "" {
		mode = ModeAuto
	}
	if _, err := ParseMode(string(mode)); err != nil {
		return nil, err
	}
	s := &Selector{mode: mode, attachment: NewAttachment(cfg.MaxFileSize)}
	if cfg.Service != nil {
		svc, err := NewService(*cfg.Service)
		if err != nil {
			return nil, err
		}
		s.service = svc
	} else if mode == ModeService {
		return nil, errors.New("extraction mode \"service\" needs extraction_service.host")
	}
	local := cfg.Local
	local.MaxFileSize = cfg.MaxFileSize
	s.local = NewLocal(local)
	return s, nil
}

// Mode returns the configured mode.
func (s *Selector) Mode() Mode { return s.mode }

// For returns the extractor of a job. useTextExtractionService is the connector configuration's
// use_text_extraction_service value (false when the source has no such field).
//
// The caller still decides whether to extract at all: the original downloads nothing unless
// use_text_extraction_service is on or the job's pipeline has extract_binary_content set.
func (s *Selector) For(useTextExtractionService bool) Extractor {
	switch s.mode {
	case ModeAttachment:
		return s.attachment
	case ModeService:
		return s.service
	case ModeLocal:
		return s.local
	}
	if !useTextExtractionService {
		return s.attachment
	}
	if s.service != nil {
		return s.service
	}
	// The original sets an empty body here (no service configured); extracting locally gives the body
	// the user asked for instead.
	return s.local
}

// Service returns the Data Extraction Service client, or nil when extraction_service is not configured.
// Preflight calls its Ping.
func (s *Selector) Service() *Service { return s.service }

// Local returns the in-process extractor.
func (s *Selector) Local() *Local { return s.local }

// Attachment returns the attachment extractor.
func (s *Selector) Attachment() *Attachment { return s.attachment }

// Close releases PDFium, if it was started.
func (s *Selector) Close() error {
	if err := s.local.Close(); err != nil {
		return fmt.Errorf("closing the local extractor: %w", err)
	}
	return nil
}
