package e2e

import (
	"encoding/json"
	"os/exec"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func execOutput(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).Output()
}
