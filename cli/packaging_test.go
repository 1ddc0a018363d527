package cli

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/connectors-go/connectors/internal/config"
)

// The packaging files cannot be run here (no container engine): these checks
// tie them to the program instead. make lint-packaging lints their syntax.

func TestDockerfileRunsElasticIngestAsNonRoot(t *testing.T) {
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	for _, want := range []string{`ENTRYPOINT ["/app/bin/elastic-ingest"]`, "USER 65532:65532", "CGO_ENABLED=0", "ln -s connectors /out/app/bin/elastic-ingest", `CMD ["-c", "/config/config.yml"]`} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if strings.Count(text, "\nFROM ") < 2 {
		t.Error("the Dockerfile should build in one stage and run in another")
	}
}

// packagedConfig parses a config.yml shipped in the repository as the
// service would, with the variables its deployment sets.
func packagedConfig(t *testing.T, name string, raw []byte, environ ...string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(name, raw, config.LoadOptions{Environ: environ, NoEnvFile: true})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if p := append(cfg.ServiceProblems(), cfg.ConnectorProblems(compiledIn)...); len(p) > 0 {
		t.Fatalf("%s: %v", name, p)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("%s warns: %v", name, cfg.Warnings)
	}
	return cfg
}

func metricsPort(t *testing.T, cfg *config.Config) string {
	t.Helper()
	_, port, err := net.SplitHostPort(cfg.Service.MetricsAddr)
	if err != nil {
		t.Fatalf("service.metrics_addr %q: %v", cfg.Service.MetricsAddr, err)
	}
	return port
}

func TestComposeConfigIsValid(t *testing.T) {
	raw, err := os.ReadFile("../deploy/compose/config.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := packagedConfig(t, "deploy/compose/config.yml", raw, "ES_PASSWORD=pw")
	compose, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	if port := metricsPort(t, cfg); !strings.Contains(string(compose), `"`+port+":"+port+`"`) {
		t.Errorf("docker-compose.yml does not publish the metrics port %s", port)
	}
	if !strings.Contains(string(compose), "./deploy/compose/config.yml:/config/config.yml") {
		t.Error("docker-compose.yml does not mount deploy/compose/config.yml")
	}
}

func TestKubernetesExampleIsConsistent(t *testing.T) {
	raw, err := os.ReadFile("../deploy/kubernetes/connectors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var cfg *config.Config
	var probes map[string]string // probe kind → path
	var containerPort int
	var args []string
	var secretMounted bool
	for {
		var doc struct {
			Kind       string            `yaml:"kind"`
			StringData map[string]string `yaml:"stringData"`
			Spec       struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Args  []string `yaml:"args"`
							Ports []struct {
								Name          string `yaml:"name"`
								ContainerPort int    `yaml:"containerPort"`
							} `yaml:"ports"`
							LivenessProbe  probe `yaml:"livenessProbe"`
							ReadinessProbe probe `yaml:"readinessProbe"`
							VolumeMounts   []struct {
								Name      string `yaml:"name"`
								MountPath string `yaml:"mountPath"`
							} `yaml:"volumeMounts"`
						} `yaml:"containers"`
						Volumes []struct {
							Name   string `yaml:"name"`
							Secret struct {
								SecretName string `yaml:"secretName"`
							} `yaml:"secret"`
						} `yaml:"volumes"`
					} `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch doc.Kind {
		case "Secret":
			cfg = packagedConfig(t, "the Secret's config.yml", []byte(doc.StringData["config.yml"]), "ES_API_KEY=k")
		case "Deployment":
			c := doc.Spec.Template.Spec.Containers[0]
			args = c.Args
			probes = map[string]string{"liveness": c.LivenessProbe.HTTPGet.Path, "readiness": c.ReadinessProbe.HTTPGet.Path}
			for _, p := range c.Ports {
				if p.Name == c.LivenessProbe.HTTPGet.Port && p.Name == c.ReadinessProbe.HTTPGet.Port {
					containerPort = p.ContainerPort
				}
			}
			configVolume := ""
			for _, v := range doc.Spec.Template.Spec.Volumes {
				if v.Secret.SecretName == "connectors-config" {
					configVolume = v.Name
				}
			}
			for _, m := range c.VolumeMounts {
				secretMounted = secretMounted || m.Name == configVolume && m.MountPath == "/config"
			}
		}
	}
	if cfg == nil || probes == nil {
		t.Fatal("the example lacks the Secret or the Deployment")
	}
	if probes["liveness"] != "/healthz" || probes["readiness"] != "/readyz" {
		t.Errorf("probes %v, want /healthz and /readyz", probes)
	}
	if port := metricsPort(t, cfg); port != "9110" || containerPort != 9110 {
		t.Errorf("probes reach port %d, the service listens on %s", containerPort, port)
	}
	if strings.Join(args, " ") != "-c /config/config.yml" || !secretMounted {
		t.Errorf("args %v, config Secret mounted at /config: %v", args, secretMounted)
	}
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}
