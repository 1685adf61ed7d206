import Foundation

/// Hides the parts of an endpoint that may carry a secret before anything shows it.
///
/// An endpoint can hold credentials in its user information (`user:password@host`), its query
/// (`?api_key=...`), path parameters (`/;token=...`, anything after `;`) or a fragment. Diagnostics,
/// failure reports and gRPC core's own log lines show the endpoint with these parts replaced by
/// `<redacted>`, and scrub them from any text that may echo them (gRPC status messages).
package struct SecretRedaction: Sendable, Equatable {
    /// What replaces a hidden part.
    package static let mark = "<redacted>"

    /// The endpoint as it may be shown.
    package let shown: String
    /// The hidden parts, longest first (for scrubbing other text).
    package let secrets: [String]

    /// Splits `endpoint` into what may be shown and what must not.
    package init(endpoint: String) {
        var text = Substring(endpoint)
        var secrets: [Substring] = []
        var tail = ""
        // Everything from the first '?', ';' or '#' on: query, path parameters, fragment.
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == ";" || $0 == "#" }) {
            let rest = text[text.index(after: cut)...]
            if !rest.isEmpty { secrets.append(rest) }
            tail = "\(text[cut])\(Self.mark)"
            text = text[..<cut]
        }
        // User information: from the start of the authority (after the last '/' before the '@',
        // else after a gRPC target scheme such as 'dns:') up to the last '@'.
        if let at = text.lastIndex(of: "@") {
            let head = text[..<at]
            let start = head.lastIndex(of: "/").map { head.index(after: $0) }
                ?? Self.schemeEnd(of: head) ?? head.startIndex
            let userinfo = text[start..<at]
            if !userinfo.isEmpty { secrets.append(userinfo) }
            text = text[..<start] + Self.mark + text[at...]
        }
        shown = String(text) + tail
        self.secrets = secrets.map(String.init).sorted { $0.count > $1.count }
    }

    /// `text` with every hidden part of the endpoint replaced by `<redacted>`.
    package func scrub(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mark)
        }
        return result
    }

    /// Whether anything was hidden.
    package var hidesSomething: Bool { !secrets.isEmpty }

    /// The end of a gRPC target scheme (`dns:`, `ipv4:`...) at the start of `text`: other text
    /// before a colon is a user name, not a scheme (`user:password@host`).
    private static func schemeEnd(of text: Substring) -> Substring.Index? {
        let lower = text.lowercased()
        guard let scheme = OTLPEndpoint.targetSchemes.first(where: { lower.hasPrefix($0) }) else { return nil }
        return text.index(text.startIndex, offsetBy: scheme.count)
    }
}
