import Foundation
import MelleaTracing

/// A failed call to an OpenAI-compatible server. Its ``kind`` is the span's `error.type`.
///
/// A cancelled call throws `CancellationError` instead (recorded as `cancelled`). The message
/// never contains the API key: a server that echoes it has it replaced by `[redacted]`.
public struct OpenAIError: Error, Sendable, Equatable, CustomStringConvertible, ErrorTypeProviding {
    /// What went wrong, in a word.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// 429: too many requests or tokens; see ``OpenAIError/retryAfter``.
        case rateLimited
        /// 401: the API key is missing, wrong or revoked.
        case authentication
        /// 403: the key may not use this model or endpoint.
        case permissionDenied
        /// 404: no such model or endpoint (check the base URL's path, e.g. `/v1`).
        case notFound
        /// 400, 409, 413, 422 and other 4xx: the server refused the request as sent.
        case badRequest
        /// 5xx: the server failed.
        case serverError
        /// No answer, or no next event of a stream, within the configured timeout.
        case timeout
        /// The server could not be reached, or closed the connection before answering.
        case connectionFailed
        /// The answer is not the wire format: invalid JSON, a broken event stream, missing fields.
        case malformedResponse
        /// The request could not be built (for example a tool schema that is not JSON); nothing was sent.
        case invalidRequest
        /// The configuration is unusable (for example no base URL); nothing was sent.
        case invalidConfiguration
    }

    /// What went wrong.
    public let kind: Kind
    /// The HTTP status, when the server answered with one.
    public let statusCode: Int?
    /// The server's error `code` (e.g. `rate_limit_exceeded`), when it gave one.
    public let code: String?
    /// What the server or the client said, with the API key removed.
    public let message: String
    /// How long the server asked to wait before retrying (`Retry-After`), when it said.
    public let retryAfter: Duration?

    /// Creates an error.
    public init(_ kind: Kind, statusCode: Int? = nil, code: String? = nil, message: String, retryAfter: Duration? = nil) {
        self.kind = kind
        self.statusCode = statusCode
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The `error.type` of the span: the kind's name (`rateLimited`, `timeout`, ...).
    public var errorType: String { kind.rawValue }

    public var description: String {
        var text = "OpenAI-compatible server: \(kind.rawValue)"
        if let statusCode { text += " (HTTP \(statusCode))" }
        if let code { text += " [\(code)]" }
        return text + ": " + message
    }

    /// The kind an HTTP error status means.
    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 401: .authentication
        case 403: .permissionDenied
        case 404: .notFound
        case 408: .timeout
        case 429: .rateLimited
        case 500...: .serverError
        default: .badRequest
        }
    }
}

extension String {
    /// This text with every occurrence of `secret` replaced, so that an echoed API key never
    /// reaches an error message, a span or a log line.
    func redacting(_ secret: String?) -> String {
        guard let secret, !secret.isEmpty else { return self }
        return replacingOccurrences(of: secret, with: "[redacted]")
    }
}
