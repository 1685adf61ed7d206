import Foundation
import OTLPExport

/// The single gate for prompt and response content: nothing is recorded unless the user opted in
/// (`MELLEA_TRACES_CONTENT`, or `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` set to `true`,
/// `SPAN_ONLY`, `EVENT_ONLY` or `SPAN_AND_EVENT`).
///
/// Messages are written as the GenAI conventions' JSON schemas define them (`gen_ai.input.messages`,
/// `gen_ai.output.messages`, `gen_ai.tool.definitions`): text, `tool_call` and `tool_call_response`
/// parts, `finish_reason` on every output message. A text longer than ``maxLength`` is cut inside
/// its part, so the JSON stays valid.
public struct ContentCapture: Sendable {
    /// Whether content goes onto spans as attributes.
    public let onSpans: Bool
    /// Whether content goes into a `gen_ai.client.inference.operation.details` event on the call's span.
    public let inEvents: Bool
    /// Longest text recorded per message part, in characters.
    public let maxLength: Int

    /// Whether any content is recorded.
    public var enabled: Bool { onSpans || inEvents }

    /// Creates the gate: content on spans when `enabled`, in events when `events`.
    public init(enabled: Bool, events: Bool = false, maxLength: Int = 8192) {
        onSpans = enabled
        inEvents = events
        self.maxLength = maxLength
    }

    /// `gen_ai.input.messages` JSON: the whole conversation sent, system messages included.
    public func inputMessages(_ messages: [ChatMessage]) -> String {
        "[" + messages.map(message).joined(separator: ",") + "]"
    }

    /// `gen_ai.output.messages` JSON for one response; `finish_reason` is always there.
    public func outputMessages(_ result: GenerationResult) -> String {
        var parts: [String] = []
        if !result.text.isEmpty || result.toolCalls.isEmpty { parts.append(textPart(result.text)) }
        parts += result.toolCalls.map(toolCallPart)
        let reason = Self.finishReason(result.metadata.finishReasons.first, hasToolCalls: !result.toolCalls.isEmpty)
        return "[{\"role\":\"assistant\",\"parts\":[\(parts.joined(separator: ","))],\"finish_reason\":\(jsonStringLiteral(reason))}]"
    }

    /// `gen_ai.tool.definitions` JSON.
    public func toolDefinitions(_ tools: [ToolDefinition]) -> String {
        "[" + tools.map { tool in
            var fields = "{\"type\":\"function\",\"name\":\(jsonStringLiteral(tool.name))"
            if !tool.description.isEmpty { fields += ",\"description\":\(jsonStringLiteral(clip(tool.description)))" }
            if let schema = embeddableJSON(tool.parametersJSON) { fields += ",\"parameters\":\(schema)" }
            return fields + "}"
        }.joined(separator: ",") + "]"
    }

    /// The conventions' `finish_reason` for a provider's reason (OpenAI's `tool_calls` is `tool_call`);
    /// when the provider gave none: `tool_call` for a tool-calling turn, else `stop`.
    static func finishReason(_ provider: String?, hasToolCalls: Bool) -> String {
        switch provider {
        case "tool_calls", "function_call": return "tool_call"
        case let reason? where !reason.isEmpty: return reason
        default: return hasToolCalls ? "tool_call" : "stop"
        }
    }

    /// `text` clipped to ``maxLength`` when content goes on spans, else `nil`.
    func text(_ text: String) -> String? { onSpans ? clip(text) : nil }

    private func message(_ message: ChatMessage) -> String {
        var parts: [String] = []
        if message.role == "tool" {
            parts.append("{\"type\":\"tool_call_response\",\"id\":\(jsonStringLiteral(message.toolCallID ?? "")),\"response\":\(jsonStringLiteral(clip(message.content)))}")
        } else if !message.content.isEmpty || message.toolCalls.isEmpty {
            parts.append(textPart(message.content))
        }
        parts += message.toolCalls.map(toolCallPart)
        return "{\"role\":\(jsonStringLiteral(message.role)),\"parts\":[\(parts.joined(separator: ","))]}"
    }

    private func textPart(_ text: String) -> String { "{\"type\":\"text\",\"content\":\(jsonStringLiteral(clip(text)))}" }

    private func toolCallPart(_ call: ToolCall) -> String {
        let arguments = embeddableJSON(call.argumentsJSON) ?? jsonStringLiteral(clip(call.argumentsJSON))
        return "{\"type\":\"tool_call\",\"id\":\(jsonStringLiteral(call.id)),\"name\":\(jsonStringLiteral(call.name)),\"arguments\":\(arguments)}"
    }

    /// `text` as is when it is valid JSON within ``maxLength``; `nil` otherwise (the caller writes it
    /// as a clipped string instead, so a cut never lands inside JSON).
    private func embeddableJSON(_ text: String) -> String? {
        guard text.count <= maxLength, let data = text.data(using: .utf8),
              (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else { return nil }
        return text
    }

    func clip(_ text: String) -> String {
        text.count > maxLength ? String(text.prefix(maxLength)) + "…" : text
    }
}
