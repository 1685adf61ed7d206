#!/usr/bin/env bash
# Sets up a fresh Debian machine (apt and pip packages), builds, and runs `mellea-trace demo`, which exports
# a sample GenAI trace to $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or prints its tree when none is set.
# Pass --no-run to only set up and build.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Debian 12 packages no Swift toolchain: it comes from swift.org (or swiftly), 6.0 or later.
if ! command -v swift >/dev/null 2>&1; then
  echo "setup: no 'swift' on PATH: install a Swift 6 toolchain (https://www.swift.org/install/linux/), then run this again" >&2
  exit 1
fi

packages=(libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libnghttp2-dev pkg-config openssl python3-venv)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# The test receiver and the schema check run in a git-ignored venv.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import grpc, grpc_status, opentelemetry.proto, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc" 2>/dev/null; then
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r scripts/requirements.txt
fi

swift build -c release --product mellea-trace
if [ "${1:-}" != "--no-run" ]; then
  .build/release/mellea-trace demo
fi
