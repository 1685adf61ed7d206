import Foundation

/// Everything the OTLP/gRPC trace exporter needs, filled from `OTEL_EXPORTER_OTLP_*` or by hand.
public struct OTLPExporterConfiguration: Sendable {
    /// Message compression.
    public enum Compression: String, Sendable { case none, gzip }

    /// Where to send spans.
    public var endpoint: OTLPEndpoint = .default
    /// gRPC metadata sent with every export (`OTEL_EXPORTER_OTLP_TRACES_HEADERS`). Keys are lowercase.
    public var headers: [(key: String, value: String)] = []
    /// Compression of each request.
    public var compression: Compression = .none
    /// Time budget of one export, retries included; also the deadline of each gRPC call.
    public var timeout: Duration = .seconds(10)
    /// PEM text of the CA certificates to trust (`nil`: the system's roots).
    public var trustedCertificatesPEM: String?
    /// PEM text of the client private key, for mutual TLS.
    public var clientKeyPEM: String?
    /// PEM text of the client certificate chain, for mutual TLS.
    public var clientCertificatePEM: String?
    /// Largest request before compression; larger batches are split (the spec recommends 4 MiB).
    public var maxRequestBytes: Int = 4 * 1024 * 1024
    /// The retry rules for failed exports.
    public var retry: RetryPolicy = .default

    /// Creates the default configuration (`http://localhost:4317`, no TLS, 10 s timeout).
    public init() {}

    /// Reads every `OTEL_EXPORTER_OTLP_*` and `OTEL_EXPORTER_OTLP_TRACES_*` variable; the
    /// traces-specific one wins. Invalid values warn once and fall back to the default.
    public static func fromEnvironment(_ env: EnvironmentReader = EnvironmentReader()) -> OTLPExporterConfiguration {
        var config = OTLPExporterConfiguration()
        func names(_ suffix: String) -> [String] {
            ["OTEL_EXPORTER_OTLP_TRACES_\(suffix)", "OTEL_EXPORTER_OTLP_\(suffix)"]
        }

        if let (name, value) = env.firstString(names("PROTOCOL")), value.lowercased() != "grpc" {
            let known = ["http/protobuf", "http/json"].contains(value.lowercased())
            env.invalid(name, value, expected: known
                ? "grpc (this library exports over OTLP/gRPC only)" : "grpc, http/protobuf or http/json",
                fallback: "grpc")
        }

        let insecureName = env.firstString(names("INSECURE"))?.name ?? names("INSECURE")[0]
        let insecure = env.bool(insecureName)
        config.endpoint = endpoint(env, names: names("ENDPOINT"), insecure: insecure)

        if let (name, value) = env.firstString(names("HEADERS")) {
            config.headers = HeaderListParser.parse(value, variable: name, diagnostics: env.diagnostics)
        }

        if let (name, value) = env.firstString(names("COMPRESSION")) {
            if let compression = Compression(rawValue: value.lowercased()) {
                config.compression = compression
            } else {
                env.invalid(name, value, expected: "gzip or none", fallback: "none")
            }
        }

        if let (name, _) = env.firstString(names("TIMEOUT")) {
            config.timeout = env.milliseconds(name, default: config.timeout, zeroMeansInfinite: true)
        }

        config.trustedCertificatesPEM = readPEM(env, names("CERTIFICATE"), .certificates, fallback: "the system's trusted roots")
        let key = readPEM(env, names("CLIENT_KEY"), .privateKey, fallback: "no client certificate")
        let certificate = readPEM(env, names("CLIENT_CERTIFICATE"), .certificates, fallback: "no client certificate")
        if (key == nil) != (certificate == nil) {
            env.diagnostics.report(.warning,
                "mutual TLS needs both OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY and OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE "
                + "(or their OTEL_EXPORTER_OTLP_ forms); only one is set and usable, so no client certificate is sent")
        } else {
            config.clientKeyPEM = key
            config.clientCertificatePEM = certificate
        }
        return config
    }

    /// The first of `names` (traces-specific first) that holds a valid endpoint. An invalid one is
    /// reported, its secrets redacted, and the next is tried: an invalid traces endpoint must not
    /// send spans to `localhost:4317` when a valid generic endpoint is set.
    private static func endpoint(_ env: EnvironmentReader, names: [String], insecure: Bool) -> OTLPEndpoint {
        let set = names.compactMap { name in env.string(name).map { (name: name, value: $0) } }
        for (position, (name, value)) in set.enumerated() {
            do {
                return try OTLPEndpoint.parse(value, insecure: insecure)
            } catch {
                let next = set.dropFirst(position + 1).first
                let fallback = next.map { "\($0.name) if valid" } ?? "http://localhost:4317"
                env.invalid(name, SecretRedaction(endpoint: value).shown, expected: error.expected, fallback: fallback)
            }
        }
        return .default
    }

    /// The PEM text of the first of `names` that is set, if the file holds `content`; otherwise
    /// a warning naming the variable, the path and what was wrong, and `nil`.
    private static func readPEM(_ env: EnvironmentReader, _ names: [String], _ content: PEMContent,
                                fallback: String) -> String? {
        guard let (name, path) = env.firstString(names) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            env.invalid(name, path, expected: "the path of a readable \(content.expected)", fallback: fallback)
            return nil
        }
        if let problem = content.problem(in: text) {
            env.invalid(name, path, expected: "\(content.expected), but \(problem)", fallback: fallback)
            return nil
        }
        return text
    }
}

/// Parses `key1=value1,key2=value2` (W3C baggage form, values percent-encoded) into gRPC metadata.
///
/// Entries gRPC would drop or a server would refuse are left out here, each with a warning that
/// names the variable and the key (never a value, which may be a token): keys gRPC reserves for
/// itself, HTTP/1 connection-level keys that HTTP/2 forbids, and whatever would push the request's
/// metadata past what gRPC servers accept by default.
enum HeaderListParser {
    /// Keys gRPC sets itself; one given here would be dropped.
    static let reservedKeys: Set<String> = ["te", "content-type", "user-agent"]
    /// HTTP/1 connection-level keys: HTTP/2 forbids them, and strict proxies reset the stream.
    static let connectionKeys: Set<String> = ["connection", "transfer-encoding", "host", "keep-alive",
                                              "proxy-connection", "upgrade"]
    /// Metadata bytes (HPACK's measure: key + value + 32 per entry) these headers may take. gRPC
    /// servers accept 8 KiB of metadata by default and refuse a request beyond it with
    /// RESOURCE_EXHAUSTED; gRPC's own headers (path, authority, user agent, timeout...) need the rest.
    static let metadataBudget = 7 * 1024

    static func parse(_ text: String, variable: String, diagnostics: Diagnostics) -> [(key: String, value: String)] {
        var headers: [(key: String, value: String)] = []
        var used = 0
        var overBudget: [String] = []
        for (index, entry) in text.split(separator: ",", omittingEmptySubsequences: true).enumerated() {
            func ignore(_ why: String) {
                diagnostics.report(.warning, "\(variable): \(why); entry ignored")
            }
            guard let equals = entry.firstIndex(of: "=") else {
                // Never echo the entry: it may hold a token.
                ignore("entry \(index + 1) has no '=': expected key=value")
                continue
            }
            let key = entry[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let rawValue = entry[entry.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy(isMetadataKeyCharacter), !key.hasSuffix("-bin") else {
                ignore("entry \(index + 1) has an invalid key: expected lowercase letters, digits, '-', '_', '.' (and no -bin suffix)")
                continue
            }
            guard !reservedKeys.contains(key), !key.hasPrefix("grpc-") else {
                ignore("'\(key)' is set by gRPC itself and would be dropped: expected a key other than te, content-type, user-agent and grpc-*")
                continue
            }
            guard !connectionKeys.contains(key) else {
                ignore("'\(key)' is an HTTP/1 connection header that HTTP/2 forbids (strict proxies reset the stream): expected an end-to-end header")
                continue
            }
            guard let value = rawValue.removingPercentEncoding else {
                ignore("the value of '\(key)' is not valid percent-encoding")
                continue
            }
            // gRPC rejects (and logs) any other byte in a value: refuse it here, naming only the key.
            guard value.utf8.allSatisfy({ (0x20...0x7e).contains($0) }) else {
                ignore("the value of '\(key)' has a character gRPC metadata cannot carry (expected printable ASCII)")
                continue
            }
            let size = key.utf8.count + value.utf8.count + 32
            guard used + size <= metadataBudget else {
                overBudget.append("'\(key)' (\(size) bytes)")
                continue
            }
            used += size
            headers.append((key, value))
        }
        if !overBudget.isEmpty {
            let shown = overBudget.prefix(3).joined(separator: ", ") + (overBudget.count > 3 ? " and \(overBudget.count - 3) more" : "")
            diagnostics.report(.warning,
                "\(variable): \(overBudget.count) entries ignored, \(shown): expected at most \(metadataBudget) bytes of headers "
                + "(key + value + 32 each; gRPC servers refuse requests with more than 8 KiB of metadata with RESOURCE_EXHAUSTED)")
        }
        return headers
    }

    private static func isMetadataKeyCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber || c == "-" || c == "_" || c == ".")
    }
}
