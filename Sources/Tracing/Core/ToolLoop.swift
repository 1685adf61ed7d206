import Foundation
import Tracing

/// A tool the model may call: its definition (offered to the model) and the Swift code that runs it.
public struct Tool: Sendable {
    /// What the model is told about the tool.
    public let definition: ToolDefinition
    /// Runs one call (its `argumentsJSON` as the model wrote it) and returns the result the model reads.
    public let run: @Sendable (ToolCall) async throws -> String

    /// Creates a tool.
    /// - Parameters:
    ///   - name: The name the model calls it by.
    ///   - description: What it does, for the model.
    ///   - parametersJSON: The JSON Schema of its arguments.
    ///   - run: Runs one call; a thrown error becomes an error result the model sees.
    public init(name: String, description: String = "", parametersJSON: String = #"{"type":"object","properties":{}}"#,
                run: @escaping @Sendable (ToolCall) async throws -> String) {
        definition = ToolDefinition(name: name, description: description, parametersJSON: parametersJSON)
        self.run = run
    }
}

/// The model asked for a tool the session does not have.
public struct UnknownToolError: Error, Sendable, CustomStringConvertible {
    /// The name the model used.
    public let name: String
    public var description: String { "no tool named '\(name)'" }
}

/// One model turn, tool calls included: what it added to the conversation.
struct Turn: Sendable {
    /// The last generation (the answer).
    var result: GenerationResult
    /// The messages the turn added: assistant messages with tool calls, tool results, the answer.
    var messages: [ChatMessage]
    /// Generations made.
    var generations: Int
    /// Their token usage, summed.
    var usage: TokenUsage
}

extension GenerativeCore {
    /// Generates, and while the model asks for tools, runs them and generates again, at most
    /// `maxToolRounds` times; then asks once more with tools withheld, so the turn always ends in
    /// an answer. A tool that throws, or an unknown tool, is answered with an error result the
    /// model reads (its `execute_tool` span is ERROR); cancellation propagates.
    func runTurn(_ backend: any Backend, _ request: GenerationRequest, tools: [Tool], maxToolRounds: Int,
                 sessionID: String?, actionID: String?) async throws -> Turn {
        var added: [ChatMessage] = []
        var generations = 0
        var usage = TokenUsage()
        var rounds = 0
        while true {
            var next = request
            next.messages += added
            if rounds >= maxToolRounds && !tools.isEmpty { next.toolChoice = ToolChoice.none }
            let result = try await generate(backend, next, sessionID: sessionID, actionID: actionID)
            generations += 1
            usage = usage + result.metadata.usage
            guard !result.toolCalls.isEmpty, !tools.isEmpty, rounds < maxToolRounds else {
                added.append(.assistant(result.text))
                return Turn(result: result, messages: added, generations: generations, usage: usage)
            }
            rounds += 1
            added.append(.assistant(result.text, toolCalls: result.toolCalls))
            for call in result.toolCalls {
                added.append(.tool(callID: call.id, try await runTool(call, tools: tools, sessionID: sessionID)))
            }
        }
    }

    /// One tool call with its hooks; a failure becomes the result text the model reads.
    private func runTool(_ call: ToolCall, tools: [Tool], sessionID: String?) async throws -> String {
        let tool = tools.first { $0.definition.name == call.name }
        do {
            return try await invokeTool(call, description: tool?.definition.description ?? "", sessionID: sessionID) { call in
                guard let tool else { throw UnknownToolError(name: call.name) }
                return try await tool.run(call)
            }
        } catch where !(error is CancellationError) && !Task.isCancelled {
            return "error: \(error)"
        }
    }
}
