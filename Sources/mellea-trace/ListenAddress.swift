import ArgumentParser

/// `HOST:PORT` to listen on (`[IPv6]:PORT` for an IPv6 host); port 0 picks a free one.
struct ListenAddress: CustomStringConvertible {
    let host: String
    let port: Int

    /// Parses `HOST:PORT`, saying what was expected when `argument` is not one.
    static func parse(_ argument: String) throws -> ListenAddress {
        let expected = "expected HOST:PORT with a port in 0...65535 (e.g. 127.0.0.1:4317, or [::1]:4317 for IPv6), got '\(argument)'"
        guard let colon = argument.lastIndex(of: ":") else { throw ValidationError(expected) }
        let host = String(argument[..<colon])
        guard !host.isEmpty, let port = Int(argument[argument.index(after: colon)...]), (0...65_535).contains(port),
              !host.contains(":") || (host.hasPrefix("[") && host.hasSuffix("]"))
        else { throw ValidationError(expected) }
        return ListenAddress(host: host, port: port)
    }

    var description: String { "\(host):\(port)" }

    /// Whether only this machine can connect.
    var isLoopback: Bool { host == "localhost" || host.hasPrefix("127.") || host == "[::1]" }
}
