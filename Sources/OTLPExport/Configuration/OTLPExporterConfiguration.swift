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

        if let (name, value) = env.firstString(names("PROTOCOL")), value != "grpc" {
            let known = ["http/protobuf", "http/json"].contains(value)
            env.invalid(name, value, expected: known
                ? "grpc (this library exports over OTLP/gRPC only)" : "grpc, http/protobuf or http/json",
                fallback: "grpc")
        }

        let insecureName = env.firstString(names("INSECURE"))?.name ?? names("INSECURE")[0]
        let insecure = env.bool(insecureName)
        if let (name, value) = env.firstString(names("ENDPOINT")) {
            do {
                config.endpoint = try OTLPEndpoint.parse(value, insecure: insecure)
            } catch {
                // The value may embed credentials (user:password@, ?api_key=): do not echo it then.
                let shown = value.contains("@") || value.contains("?") ? "<not shown: it may contain credentials>" : value
                env.invalid(name, shown, expected: error.expected, fallback: "http://localhost:4317")
            }
        }

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

        config.trustedCertificatesPEM = readPEM(env, names("CERTIFICATE"))
        let key = readPEM(env, names("CLIENT_KEY"))
        let certificate = readPEM(env, names("CLIENT_CERTIFICATE"))
        if (key == nil) != (certificate == nil) {
            env.diagnostics.report(.warning,
                "mutual TLS needs both OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY and OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE "
                + "(or their OTEL_EXPORTER_OTLP_ forms); only one is set, so no client certificate is sent")
        } else {
            config.clientKeyPEM = key
            config.clientCertificatePEM = certificate
        }
        return config
    }

    private static func readPEM(_ env: EnvironmentReader, _ names: [String]) -> String? {
        guard let (name, path) = env.firstString(names) else { return nil }
        do {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            guard text.contains("-----BEGIN ") else {
                env.invalid(name, path, expected: "the path of a PEM file", fallback: "no file")
                return nil
            }
            return text
        } catch {
            env.invalid(name, path, expected: "the path of a readable PEM file", fallback: "no file")
            return nil
        }
    }
}

/// Parses `key1=value1,key2=value2` (W3C baggage form, values percent-encoded) into gRPC metadata.
enum HeaderListParser {
    static func parse(_ text: String, variable: String, diagnostics: Diagnostics) -> [(key: String, value: String)] {
        var headers: [(key: String, value: String)] = []
        for (index, entry) in text.split(separator: ",", omittingEmptySubsequences: true).enumerated() {
            guard let equals = entry.firstIndex(of: "=") else {
                // Never echo the entry: it may hold a token.
                diagnostics.report(.warning, "\(variable): entry \(index + 1) has no '=': expected key=value; entry ignored")
                continue
            }
            let key = entry[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let rawValue = entry[entry.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, key.allSatisfy(isMetadataKeyCharacter), !key.hasSuffix("-bin") else {
                diagnostics.report(.warning,
                    "\(variable): entry \(index + 1) has an invalid key: expected lowercase letters, digits, '-', '_', '.' (and no -bin suffix); entry ignored")
                continue
            }
            guard let value = rawValue.removingPercentEncoding else {
                diagnostics.report(.warning, "\(variable): the value of '\(key)' is not valid percent-encoding; entry ignored")
                continue
            }
            // gRPC rejects (and logs) any other byte in a value: refuse it here, naming only the key.
            guard value.utf8.allSatisfy({ (0x20...0x7e).contains($0) }) else {
                diagnostics.report(.warning,
                    "\(variable): the value of '\(key)' has a character gRPC metadata cannot carry (expected printable ASCII); entry ignored")
                continue
            }
            headers.append((key, value))
        }
        return headers
    }

    private static func isMetadataKeyCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLowercase || c.isNumber || c == "-" || c == "_" || c == ".")
    }
}
