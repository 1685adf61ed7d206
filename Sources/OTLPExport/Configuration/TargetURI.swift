/// Checks of the gRPC target URIs an OTLP endpoint may be (`dns:`, `ipv4:`, `ipv6:`, `unix:`), so
/// that a target gRPC can never resolve is refused at configuration time with a message, instead
/// of failing every export as "UNAVAILABLE".
enum TargetURI {
    typealias ParseError = OTLPEndpoint.ParseError

    /// Throws when `rest` (the target after `scheme`) is not what gRPC's resolver for it takes.
    static func validate(scheme: String, rest: Substring) throws(ParseError) {
        guard !rest.contains("@") else { throw ParseError(expected: "no user information in the endpoint") }
        switch scheme {
        case "dns:": try dns(rest)
        case "ipv4:": try addressList(rest, expected: "ipv4:a.b.c.d:port[,a.b.c.d:port...]", isAddress: isIPv4)
        case "ipv6:": try addressList(rest, expected: "ipv6:[address]:port[,[address]:port...]", isAddress: isBracketedIPv6)
        default:
            guard !rest.isEmpty else { throw ParseError(expected: "a socket path after '\(scheme)'") }
        }
    }

    /// `dns:host[:port]`, `dns:///host[:port]` or `dns://resolver/host[:port]`.
    private static func dns(_ rest: Substring) throws(ParseError) {
        var name = rest
        if name.hasPrefix("//") {
            let afterAuthority = name.dropFirst(2)
            guard let slash = afterAuthority.firstIndex(of: "/") else {
                throw ParseError(expected: "dns:///host:port or dns://resolver/host:port")
            }
            name = afterAuthority[afterAuthority.index(after: slash)...]
        }
        guard !name.isEmpty else { throw ParseError(expected: "a host name after 'dns:' (dns:///host:port)") }
        _ = try OTLPEndpoint.hostPort(name)
    }

    private static func addressList(_ rest: Substring, expected: String,
                                     isAddress: (Substring) -> Bool) throws(ParseError) {
        let entries = rest.split(separator: ",", omittingEmptySubsequences: false)
        for entry in entries {
            guard let colon = entry.lastIndex(of: ":"), isAddress(entry[..<colon]),
                  let port = Int(entry[entry.index(after: colon)...]), (1...65535).contains(port) else {
                throw ParseError(expected: expected)
            }
        }
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber } && Int(part)! <= 255
        }
    }

    private static func isBracketedIPv6(_ text: Substring) -> Bool {
        guard text.hasPrefix("["), text.hasSuffix("]"), text.count > 2 else { return false }
        return text.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
