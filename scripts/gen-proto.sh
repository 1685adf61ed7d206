#!/usr/bin/env bash
# Regenerates the protobuf-c code committed under Sources/CGRPC from proto/.
#
#   scripts/gen-proto.sh            (runnable from any directory)
#
# Headers go to Sources/CGRPC/include/<path>.pb-c.h and sources to
# Sources/CGRPC/<path>.pb-c.c, keeping the path relative to proto/, because the
# generated code includes its siblings as "opentelemetry/proto/.../x.pb-c.h".
# Output is deterministic: CI reruns this and checks `git diff --exit-code`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PROTOC_C="${PROTOC_C:-protoc-c}"
command -v "$PROTOC_C" >/dev/null 2>&1 || {
  echo "error: $PROTOC_C not found (apt-get install protobuf-c-compiler)" >&2
  exit 1
}

# Paths relative to proto/; they appear verbatim in the generated comments and
# include lines, so always pass them in this exact form.
PROTOS=(
  opentelemetry/proto/common/v1/common.proto
  opentelemetry/proto/resource/v1/resource.proto
  opentelemetry/proto/trace/v1/trace.proto
  opentelemetry/proto/collector/trace/v1/trace_service.proto
  google/protobuf/any.proto
  google/protobuf/duration.proto
  google/rpc/status.proto
  google/rpc/error_details.proto
)

OUT_SRC="Sources/CGRPC"
OUT_INC="Sources/CGRPC/include"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

args=()
for p in "${PROTOS[@]}"; do args+=("proto/$p"); done
"$PROTOC_C" -Iproto --c_out="$TMP" "${args[@]}"

# Remove previously generated files (only *.pb-c.[ch] under the generated
# trees), so a proto that is dropped does not leave stale code behind.
for top in opentelemetry google; do
  for base in "$OUT_SRC" "$OUT_INC"; do
    if [ -d "$base/$top" ]; then
      find "$base/$top" -type f \( -name '*.pb-c.h' -o -name '*.pb-c.c' \) -delete
      find "$base/$top" -type d -empty -delete
    fi
  done
done

count=0
for p in "${PROTOS[@]}"; do
  stem="${p%.proto}"
  for f in "$TMP/$stem.pb-c.h" "$TMP/$stem.pb-c.c"; do
    [ -f "$f" ] || { echo "error: protoc-c did not produce $f" >&2; exit 1; }
  done
  install -D -m 0644 "$TMP/$stem.pb-c.h" "$OUT_INC/$stem.pb-c.h"
  install -D -m 0644 "$TMP/$stem.pb-c.c" "$OUT_SRC/$stem.pb-c.c"
  count=$((count + 1))
done

# Anything else protoc-c wrote would be unexpected.
extra="$(cd "$TMP" && find . -type f \( -name '*.pb-c.h' -o -name '*.pb-c.c' \) | wc -l)"
if [ "$extra" -ne $((count * 2)) ]; then
  echo "error: protoc-c produced $extra files, expected $((count * 2))" >&2
  exit 1
fi

echo "gen-proto: generated $count protos into $OUT_INC and $OUT_SRC"
