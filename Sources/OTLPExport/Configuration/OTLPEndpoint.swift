/// Where the OTLP/gRPC exporter connects, and whether it uses TLS.
public struct OTLPEndpoint: Sendable, Equatable {
    /// A gRPC target string: `host:port`, `dns:///host:port`, `ipv4:a:p,b:p`, `unix:/path`.
    public let target: String
    /// Whether the connection uses TLS.
    public let usesTLS: Bool
    /// Whether the target is a gRPC target URI (spread over every resolved address).
    public let isTargetURI: Bool

    /// Creates an endpoint from a gRPC target.
    public init(target: String, usesTLS: Bool, isTargetURI: Bool = false) {
        self.target = target
        self.usesTLS = usesTLS
        self.isTargetURI = isTargetURI
    }

    /// The default, `http://localhost:4317`.
    public static let `default` = OTLPEndpoint(target: "localhost:4317", usesTLS: false)

    /// Why an endpoint string could not be used.
    public struct ParseError: Error, Sendable, Equatable {
        /// What was expected instead.
        public let expected: String
    }

    static let targetSchemes = ["dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:"]

    /// The target as diagnostics show it: user information, query and path parameters hidden.
    public var redactedTarget: String { SecretRedaction(endpoint: target).shown }

    /// Parses an endpoint as the OTLP exporter specification allows.
    ///
    /// - `http://host[:port][/]` is plaintext, `https://...` is TLS; the scheme wins over `insecure`.
    /// - A gRPC target URI (`dns:`, `ipv4:`, `ipv6:`, `unix:`) passes through unchanged once it is
    ///   checked: a host for `dns:`, `a.b.c.d:port` entries for `ipv4:`, `[addr]:port` for `ipv6:`,
    ///   a path for `unix:`; never user information.
    /// - `host:port` with no scheme uses TLS unless `insecure` is true.
    /// A missing port is 4317, the OTLP/gRPC default.
    public static func parse(_ text: String, insecure: Bool) throws(ParseError) -> OTLPEndpoint {
        let lower = text.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            var rest = Substring(text.dropFirst(scheme.count))
            if let slash = rest.firstIndex(of: "/") {
                guard rest[slash...].allSatisfy({ $0 == "/" }) else {
                    throw ParseError(expected: "no path after host:port (OTLP/gRPC has no URL path)")
                }
                rest = rest[..<slash]
            }
            return OTLPEndpoint(target: try hostPort(rest), usesTLS: scheme == "https://")
        }
        if let scheme = targetSchemes.first(where: { lower.hasPrefix($0) }) {
            try TargetURI.validate(scheme: scheme, rest: text.dropFirst(scheme.count))
            return OTLPEndpoint(target: text, usesTLS: !insecure, isTargetURI: true)
        }
        if lower.contains("://") {
            throw ParseError(expected: "an http:// or https:// URL, a gRPC target (dns:, ipv4:, ipv6:, unix:) or host:port")
        }
        return OTLPEndpoint(target: try hostPort(Substring(text)), usesTLS: !insecure)
    }

    static func hostPort(_ authority: Substring) throws(ParseError) -> String {
        if authority.contains("@") { throw ParseError(expected: "no user information in the endpoint") }
        let host: Substring
        var port: Substring = "4317"
        if authority.hasPrefix("[") {  // [ipv6]:port
            guard let close = authority.firstIndex(of: "]") else {
                throw ParseError(expected: "a closing ']' after an IPv6 address")
            }
            host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { port = after.dropFirst() }
            else if !after.isEmpty { throw ParseError(expected: "':port' after an IPv6 address") }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw ParseError(expected: "a host name") }
        guard port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber), let number = Int(port), (1...65535).contains(number) else {
            throw ParseError(expected: "a port number in 1...65535")
        }
        return "\(host):\(number)"
    }
}
