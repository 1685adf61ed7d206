#!/usr/bin/env bash
# Runs every test: the Swift suite (unit, end-to-end against the real receiver, faults, stress),
# the receiver's own self-test and the proto schema check. Needs scripts/setup.sh --no-run first.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
.venv/bin/python scripts/check_proto_schema.py
.venv/bin/python scripts/test_otlp_receiver.py
swift test
