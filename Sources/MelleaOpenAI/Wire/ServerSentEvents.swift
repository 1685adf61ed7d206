/// Splits a `text/event-stream` body, arriving in arbitrary pieces, into the `data` of each event
/// (WHATWG "server-sent events": lines end in CR, LF or CRLF; a blank line ends an event; several
/// `data:` lines join with a newline; comments and the other fields are ignored).
struct ServerSentEventParser {
    private var line: [UInt8] = []
    private var data: [String] = []
    private var hasData = false
    private var lastWasCR = false

    /// Whether an event was begun but not ended by a blank line (the body stopped mid-event).
    var hasPartialEvent: Bool { hasData || !line.isEmpty }

    /// Feeds the next bytes; returns the data of every event they complete, in order.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        var events: [String] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n") where lastWasCR:
                lastWasCR = false  // the LF of a CRLF: the line already ended at the CR
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                lastWasCR = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            default:
                lastWasCR = false
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> String? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard hasData else { return nil }
            defer { data.removeAll(); hasData = false }
            return data.joined(separator: "\n")
        }
        if line.first == UInt8(ascii: ":") { return nil }  // a comment (keep-alive)
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        if field == "data" {
            data.append(String(value))
            hasData = true
        }
        return nil
    }
}
