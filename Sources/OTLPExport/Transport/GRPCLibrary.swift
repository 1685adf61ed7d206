import CGRPC

/// gRPC core's global state: `grpc_init` before the first object, `grpc_shutdown` after the last.
///
/// gRPC refcounts these calls itself; this type exists so every owner pairs them explicitly.
enum GRPCLibrary {
    /// Takes a reference on gRPC core (starting its threads the first time), its log lines
    /// routed through the library's diagnostics (``GRPCLogRouting``).
    static func retain() {
        GRPCLogRouting.install()
        grpc_init()
    }

    /// Drops a reference; the last one stops gRPC's threads. Every channel, call and queue
    /// made under this reference must already be destroyed.
    static func release() { grpc_shutdown() }

    /// gRPC core's version, e.g. `29.0.0`.
    static var version: String { String(cString: grpc_version_string()) }
}
