import CGRPC
import Foundation

/// Routes gRPC core's own log lines (`gpr_log`, hooked with `gpr_set_log_function` through
/// `cgrpc_set_log_sink`) through the library's diagnostics instead of standard error.
///
/// Each open channel registers where its messages go and which endpoint secrets to scrub; a line
/// goes to every distinct registered ``Diagnostics`` (standard error when none is), scrubbed of
/// every registered secret, once per source location: gRPC repeats the same line on every
/// reconnection attempt. gRPC's verbosity (`GRPC_VERBOSITY`, errors only by default) still decides
/// which lines exist.
enum GRPCLogRouting {
    private struct Route {
        let owner: ObjectIdentifier
        let diagnostics: Diagnostics
        let redaction: SecretRedaction
    }

    private static let routes = Locked<[Route]>([])

    private static let installed: Void = { cgrpc_set_log_sink(receive) }()

    /// Installs the hook (once per process; called before `grpc_init`, so no line escapes it).
    static func install() { _ = installed }

    /// Sends gRPC's lines to `diagnostics` while `owner` is registered.
    static func register(_ owner: AnyObject, diagnostics: Diagnostics, redaction: SecretRedaction) {
        install()
        routes.withLock { $0.append(Route(owner: ObjectIdentifier(owner), diagnostics: diagnostics, redaction: redaction)) }
    }

    /// Stops sending gRPC's lines on behalf of `owner`.
    static func unregister(_ owner: AnyObject) {
        routes.withLock { $0.removeAll { $0.owner == ObjectIdentifier(owner) } }
    }

    /// Reports one gRPC line (the hook calls this; tests call it directly).
    static func route(severity: cgrpc_log_severity, file: String, line: Int, message: String) {
        let current = routes.withLock { $0 }
        var text = message
        for route in current { text = route.redaction.scrub(text) }
        let level: DiagnosticLevel = severity == CGRPC_LOG_ERROR ? .error : .info
        let location = "\(URL(fileURLWithPath: file).lastPathComponent):\(line)"
        var targets: [Diagnostics] = []
        for route in current where !targets.contains(where: { $0 === route.diagnostics }) { targets.append(route.diagnostics) }
        if targets.isEmpty { targets = [.standardError] }
        for diagnostics in targets {
            diagnostics.reportOnce(key: "grpc-log:\(location)", level,
                                   "gRPC core: \(text) (\(location); repeats of this line are not shown)")
        }
    }

    private static let receive: cgrpc_log_sink = { severity, file, line, message in
        route(severity: severity, file: file.map { String(cString: $0) } ?? "?", line: Int(line),
              message: message.map { String(cString: $0) } ?? "")
    }
}
