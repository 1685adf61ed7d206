import MelleaTracing

/// Builds whole tool calls from the deltas of a stream: the first delta of a call carries its
/// `index`, `id` and name, the next ones only the `index` and a piece of the arguments.
struct ToolCallAssembler {
    private struct Partial {
        var id: String?
        var name: String?
        var arguments = ""
    }
    private var partials: [Int: Partial] = [:]
    private var lastIndex: Int?

    /// Adds one delta. A delta without `index` (some servers omit it) opens a new call when it
    /// brings an id, and otherwise continues the last one.
    mutating func add(_ delta: WireChatChunk.ToolCallDelta) {
        let index: Int
        if let given = delta.index {
            index = given
        } else if delta.id != nil || lastIndex == nil {
            index = (partials.keys.max() ?? -1) + 1
        } else {
            index = lastIndex!
        }
        lastIndex = index
        var partial = partials[index] ?? Partial()
        if let id = delta.id, !id.isEmpty { partial.id = id }
        // The name comes whole; some servers repeat it on every delta.
        if partial.name == nil, let name = delta.function?.name, !name.isEmpty { partial.name = name }
        if let piece = delta.function?.arguments { partial.arguments += piece }
        partials[index] = partial
    }

    /// The calls so far, by index. A call the server never named is a broken stream.
    func calls() throws(OpenAIError) -> [ToolCall] {
        try partials.keys.sorted().map { index throws(OpenAIError) in
            let partial = partials[index]!
            guard let name = partial.name else {
                throw OpenAIError(.malformedResponse, message: "the stream's tool call \(index) never got a function name")
            }
            return ToolCall(id: partial.id ?? "call_\(index)", name: name,
                            argumentsJSON: partial.arguments.isEmpty ? "{}" : partial.arguments)
        }
    }
}
