#!/usr/bin/env python3
"""Prove that the hand-written protos in proto/ match the official schemas.

Run from the repository root:

    .venv/bin/python scripts/check_proto_schema.py [--proto-root DIR] [-v]

Ours: `protoc-c -I<proto-root> --include_imports -o <tmp>.fds` over the root
protos (trace_service.proto, google/rpc/status.proto,
google/rpc/error_details.proto) gives a FileDescriptorSet that is loaded with
google.protobuf.descriptor_pb2.

Official: the descriptors embedded in the pip packages (opentelemetry-proto,
googleapis-common-protos, protobuf), collected by walking `.dependencies` of the
root modules and calling `CopyToProto`.

Checked, per file we ship (by file name):
  * the package is the same;
  * every message of ours (fully qualified, nested included) exists upstream,
    and every field of ours has the same (number, type, label, type_name,
    oneof membership, proto3_optional) as the upstream field of that name;
  * every upstream field / message / enum / enum value we lack is in the
    explicit allow-list below, otherwise it is a failure;
  * every enum of ours has exactly the upstream value names and numbers;
  * reserved ranges and names of our messages equal upstream's;
  * every service method has the same input/output types and streaming flags.

Exit status: 0 if everything matches, 1 on any mismatch, 2 if the check could
not run (missing imports, protoc-c failure, ...).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

try:
    from google.protobuf import descriptor_pb2
    from google.protobuf import any_pb2, duration_pb2
    from google.rpc import error_details_pb2, status_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
except Exception as exc:  # noqa: BLE001 - any import problem is fatal
    sys.stderr.write(
        "proto schema check: FAILED to import the official schema packages: "
        f"{type(exc).__name__}: {exc}\n"
        "Run it with the project venv: .venv/bin/python scripts/check_proto_schema.py\n"
        "(pip install -r scripts/requirements.txt)\n"
    )
    sys.exit(2)


# The .proto files (relative to proto/) given to protoc-c; their imports are
# pulled in with --include_imports.
ROOT_PROTOS = [
    "opentelemetry/proto/collector/trace/v1/trace_service.proto",
    "google/rpc/status.proto",
    "google/rpc/error_details.proto",
]

OFFICIAL_ROOTS = [
    trace_service_pb2.DESCRIPTOR,
    status_pb2.DESCRIPTOR,
    error_details_pb2.DESCRIPTOR,
    any_pb2.DESCRIPTOR,
    duration_pb2.DESCRIPTOR,
]

# Upstream fields we deliberately do not carry (development-only in OTLP).
ALLOWED_MISSING_FIELDS = {
    "opentelemetry.proto.common.v1.AnyValue.string_value_strindex",
    "opentelemetry.proto.common.v1.KeyValue.key_strindex",
    "opentelemetry.proto.resource.v1.Resource.entity_refs",
}

# Upstream messages we deliberately do not carry.
ALLOWED_MISSING_MESSAGES = {
    "opentelemetry.proto.common.v1.EntityRef",
}

# For these upstream files, only the listed messages are carried; every other
# message of that file (nested ones included) is allowed to be missing.
PARTIAL_FILES = {
    "google/rpc/error_details.proto": {"google.rpc.RetryInfo"},
}


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        self.items.append(msg)


def field_type_name(f: descriptor_pb2.FieldDescriptorProto) -> str:
    return descriptor_pb2.FieldDescriptorProto.Type.Name(f.type)


def field_label_name(f: descriptor_pb2.FieldDescriptorProto) -> str:
    return descriptor_pb2.FieldDescriptorProto.Label.Name(f.label)


def field_signature(msg: descriptor_pb2.DescriptorProto,
                    f: descriptor_pb2.FieldDescriptorProto) -> tuple:
    oneof = msg.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
    return (
        ("number", f.number),
        ("type", field_type_name(f)),
        ("label", field_label_name(f)),
        ("type_name", f.type_name or None),
        ("oneof", oneof),
        ("proto3_optional", bool(f.proto3_optional)),
    )


def collect(fds: descriptor_pb2.FileDescriptorSet):
    """file name -> (package, {fqname: DescriptorProto}, {fqname: EnumDescriptorProto}, [services])"""
    out = {}
    for fd in fds.file:
        messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        prefix = fd.package

        def walk_msg(m, scope):
            fq = f"{scope}.{m.name}" if scope else m.name
            messages[fq] = m
            for nm in m.nested_type:
                walk_msg(nm, fq)
            for ne in m.enum_type:
                enums[f"{fq}.{ne.name}"] = ne

        for m in fd.message_type:
            walk_msg(m, prefix)
        for e in fd.enum_type:
            enums[f"{prefix}.{e.name}" if prefix else e.name] = e
        services = {f"{prefix}.{s.name}": s for s in fd.service}
        out[fd.name] = (fd.package, messages, enums, services)
    return out


def official_fds() -> descriptor_pb2.FileDescriptorSet:
    fds = descriptor_pb2.FileDescriptorSet()
    seen: set[str] = set()

    def walk(fd) -> None:
        if fd.name in seen:
            return
        seen.add(fd.name)
        for dep in fd.dependencies:
            walk(dep)
        p = fds.file.add()
        fd.CopyToProto(p)

    for root in OFFICIAL_ROOTS:
        walk(root)
    return fds


def our_fds(proto_root: str) -> descriptor_pb2.FileDescriptorSet:
    protoc = os.environ.get("PROTOC_C", "protoc-c")
    if shutil.which(protoc) is None:
        sys.stderr.write(f"proto schema check: FAILED: {protoc} not found on PATH\n")
        sys.exit(2)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "ours.fds")
        cmd = [protoc, f"-I{proto_root}", "--include_imports", f"-o{out}"]
        cmd += [os.path.join(proto_root, p) for p in ROOT_PROTOS]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            sys.stderr.write(
                "proto schema check: FAILED: protoc-c exited with "
                f"{res.returncode}\n  command: {' '.join(cmd)}\n{res.stderr}"
            )
            sys.exit(2)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as fh:
            fds.ParseFromString(fh.read())
    return fds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--proto-root", default="proto",
                    help="directory holding our .proto files (default: proto)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print every compared field")
    args = ap.parse_args()

    if not os.path.isdir(args.proto_root):
        sys.stderr.write(
            f"proto schema check: FAILED: {args.proto_root!r} is not a directory "
            "(run from the repository root)\n")
        return 2

    ours = collect(our_fds(args.proto_root))
    official = collect(official_fds())
    fail = Failures()
    n_fields = n_messages = n_enum_values = n_methods = 0
    allowed_used: set[str] = set()
    partial_skipped: dict[str, list[str]] = {}

    for fname in sorted(official):
        if fname not in ours:
            fail.add(f"{fname}: official file has no counterpart in {args.proto_root}/")

    for fname in sorted(ours):
        if fname not in official:
            fail.add(f"{fname}: ours, but no official file of that name")
            continue
        o_pkg, o_msgs, o_enums, o_svcs = ours[fname]
        u_pkg, u_msgs, u_enums, u_svcs = official[fname]
        if o_pkg != u_pkg:
            fail.add(f"{fname}: package {o_pkg!r} != official {u_pkg!r}")

        # --- messages we have ---
        for mname in sorted(o_msgs):
            om = o_msgs[mname]
            um = u_msgs.get(mname)
            if um is None:
                fail.add(f"message {mname}: not in the official schema")
                continue
            n_messages += 1
            u_fields = {f.name: f for f in um.field}
            for of in om.field:
                fq = f"{mname}.{of.name}"
                uf = u_fields.get(of.name)
                if uf is None:
                    fail.add(f"field {fq} = {of.number}: not in the official schema")
                    continue
                n_fields += 1
                a, b = field_signature(om, of), field_signature(um, uf)
                if args.verbose:
                    print(f"  {fq}: {dict(a)}")
                if a != b:
                    diffs = ", ".join(
                        f"{k}: ours={va!r} official={vb!r}"
                        for (k, va), (_, vb) in zip(a, b) if va != vb)
                    fail.add(f"field {fq}: {diffs}")
            o_names = {f.name for f in om.field}
            for uf in um.field:
                if uf.name in o_names:
                    continue
                fq = f"{mname}.{uf.name}"
                if fq in ALLOWED_MISSING_FIELDS:
                    allowed_used.add(fq)
                else:
                    fail.add(f"field {fq} = {uf.number}: official field missing from ours "
                             "(and not in the allow-list)")
            o_res = sorted((r.start, r.end) for r in om.reserved_range)
            u_res = sorted((r.start, r.end) for r in um.reserved_range)
            if o_res != u_res:
                fail.add(f"message {mname}: reserved ranges ours={o_res} official={u_res}")
            if sorted(om.reserved_name) != sorted(um.reserved_name):
                fail.add(f"message {mname}: reserved names ours={sorted(om.reserved_name)} "
                         f"official={sorted(um.reserved_name)}")

        # --- official messages we lack ---
        keep_only = PARTIAL_FILES.get(fname)
        for mname in sorted(set(u_msgs) - set(o_msgs)):
            if mname in ALLOWED_MISSING_MESSAGES:
                allowed_used.add(mname)
            elif keep_only is not None and not any(
                    mname == k or mname.startswith(k + ".") for k in keep_only):
                partial_skipped.setdefault(fname, []).append(mname)
            else:
                fail.add(f"message {mname}: official message missing from ours "
                         "(and not in the allow-list)")
        if keep_only is not None:
            for k in sorted(keep_only):
                if k not in o_msgs:
                    fail.add(f"message {k}: required from {fname} but missing from ours")

        # --- enums ---
        for ename in sorted(o_enums):
            ue = u_enums.get(ename)
            if ue is None:
                fail.add(f"enum {ename}: not in the official schema")
                continue
            ov = {v.name: v.number for v in o_enums[ename].value}
            uv = {v.name: v.number for v in ue.value}
            n_enum_values += len(ov)
            if ov != uv:
                fail.add(f"enum {ename}: values ours={sorted(ov.items(), key=lambda x: x[1])} "
                         f"official={sorted(uv.items(), key=lambda x: x[1])}")
        for ename in sorted(set(u_enums) - set(o_enums)):
            parent = ename.rsplit(".", 1)[0]
            if parent in ALLOWED_MISSING_MESSAGES or (
                    keep_only is not None and parent in u_msgs and parent not in o_msgs):
                continue  # enum nested in a message we are allowed to lack
            fail.add(f"enum {ename}: official enum missing from ours")

        # --- services ---
        for sname in sorted(set(o_svcs) | set(u_svcs)):
            os_, us = o_svcs.get(sname), u_svcs.get(sname)
            if os_ is None or us is None:
                fail.add(f"service {sname}: {'missing from ours' if os_ is None else 'not official'}")
                continue
            om_ = {m.name: m for m in os_.method}
            um_ = {m.name: m for m in us.method}
            if set(om_) != set(um_):
                fail.add(f"service {sname}: methods ours={sorted(om_)} official={sorted(um_)}")
            for name in sorted(set(om_) & set(um_)):
                a, b = om_[name], um_[name]
                sa = (a.input_type, a.output_type, a.client_streaming, a.server_streaming)
                sb = (b.input_type, b.output_type, b.client_streaming, b.server_streaming)
                n_methods += 1
                if sa != sb:
                    fail.add(f"rpc {sname}.{name}: ours={sa} official={sb}")

    try:
        from importlib.metadata import version
        versions = ", ".join(f"{p} {version(p)}" for p in
                             ("opentelemetry-proto", "googleapis-common-protos", "protobuf"))
    except Exception:  # noqa: BLE001 - informational only
        versions = "versions unknown"

    print(f"official schema from: {versions}")
    print(f"files: {len(ours)} ours, {len(official)} official; messages compared: {n_messages}; "
          f"enum values compared: {n_enum_values}; rpc methods compared: {n_methods}")
    print("official but deliberately absent (allow-list): "
          + (", ".join(sorted(allowed_used)) if allowed_used else "none"))
    for fname, names in sorted(partial_skipped.items()):
        kept = ", ".join(sorted(PARTIAL_FILES[fname]))
        print(f"{fname}: only {kept} carried; {len(names)} other official messages "
              f"absent by design ({', '.join(sorted(names))})")
    for item in fail.items:
        print(f"MISMATCH: {item}")
    print(f"proto schema check: {n_fields} fields compared, {len(fail.items)} mismatches")
    return 1 if fail.items else 0


if __name__ == "__main__":
    sys.exit(main())
