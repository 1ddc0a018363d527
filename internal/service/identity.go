package service

import (
	"crypto/rand"
	"encoding/hex"
	"os"

	"github.com/connectors-go/connectors/internal/config"
	"github.com/connectors-go/connectors/internal/protocol"
)

// Hostname is the machine's name as the original writes it in
// worker_hostname.
func Hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}

// InstanceName names this process among the service instances:
// service.instance_name when set, else the host name plus a random suffix,
// so that two processes on one host (or one process and its restart) are
// told apart in logs, metrics and job histories.
func InstanceName(cfg *config.Config, hostname string) string {
	if cfg != nil && cfg.Service.InstanceName != "" {
		return cfg.Service.InstanceName
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hostname + "-" + hex.EncodeToString(b[:])
}

// worker is how this process claims jobs.
func (s *Service) worker() protocol.Worker {
	return protocol.Worker{Hostname: s.Hostname, Instance: s.Instance}
}
