/// The single gate for prompt and response content: nothing is recorded unless the user opted in
/// (`MELLEA_TRACES_CONTENT` or `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`).
public struct ContentCapture: Sendable {
    /// Whether content is recorded.
    public let enabled: Bool
    /// Longest text recorded per message part, in characters.
    public let maxLength: Int

    /// Creates the gate.
    public init(enabled: Bool, maxLength: Int = 8192) {
        self.enabled = enabled
        self.maxLength = maxLength
    }

    /// `gen_ai.input.messages` JSON (semantic-convention shape), without system messages.
    func inputMessages(_ messages: [ChatMessage]) -> String? {
        guard enabled else { return nil }
        let parts = messages.filter { $0.role != "system" }.map { message in
            "{\"role\":\(json(message.role)),\"parts\":[{\"type\":\"text\",\"content\":\(json(clip(message.content)))}]}"
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    /// `gen_ai.system_instructions` JSON, or `nil` when there is no system message.
    func systemInstructions(_ messages: [ChatMessage]) -> String? {
        guard enabled else { return nil }
        let system = messages.filter { $0.role == "system" }
        guard !system.isEmpty else { return nil }
        return "[" + system.map { "{\"type\":\"text\",\"content\":\(json(clip($0.content)))}" }.joined(separator: ",") + "]"
    }

    /// `gen_ai.output.messages` JSON for one response.
    func outputMessages(_ text: String, finishReason: String?) -> String? {
        guard enabled else { return nil }
        let reason = finishReason.map { ",\"finish_reason\":\(json($0))" } ?? ""
        return "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\(json(clip(text)))}]\(reason)}]"
    }

    /// `text` when content is on (clipped), else `nil`.
    func text(_ text: String) -> String? { enabled ? clip(text) : nil }

    private func clip(_ text: String) -> String {
        text.count > maxLength ? String(text.prefix(maxLength)) + "…" : text
    }
}

/// `text` as a JSON string literal.
func json(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
