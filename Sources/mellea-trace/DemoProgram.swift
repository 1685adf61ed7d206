import MelleaTracing

/// The demo's generative program, on a scripted back end (no model needed): one session with a
/// tool, an instruction whose first answer fails its requirement and whose repair passes, a turn
/// in which the model calls the tool, and a streamed reply.
enum DemoProgram {
    static let model = "granite-3.3-8b"

    /// What the program did, one line per step, for the user to read beside the trace.
    static func run() async throws -> [String] {
        let backend = ScriptedBackend(model: model, provider: "openai", serverAddress: "127.0.0.1", serverPort: 8000, replies: [
            .text("The capital of France is Paris.", metadata("chatcmpl-1", input: 31, output: 8, finish: "stop")),
            .text("Paris", metadata("chatcmpl-2", input: 58, output: 2, finish: "stop")),
            .result(GenerationResult(text: "", toolCalls: [ToolCall(id: "call_1", name: "get_weather", argumentsJSON: #"{"city":"Paris"}"#)],
                                     metadata: metadata("chatcmpl-3", input: 74, output: 17, finish: "tool_calls"))),
            .text("It is sunny and 21 °C in Paris.", metadata("chatcmpl-4", input: 102, output: 12, finish: "stop")),
            .text("Paris is a city of light, cafés and the Seine.", metadata("chatcmpl-5", input: 120, output: 13, finish: "stop")),
        ])
        let weather = Tool(name: "get_weather", description: "Current weather for a city",
                           parametersJSON: #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#) { _ in
            "sunny, 21 °C"
        }
        let oneWord = Requirement.check("answer in one word") { $0.split(separator: " ").count == 1 }
        return try await Session.with(backend: backend, systemPrompt: "You are a concise travel assistant.", tools: [weather]) { session in
            var steps: [String] = []
            let answer = try await session.instruct("What is the capital of France?", requirements: [oneWord],
                                                    strategy: .rejection(loopBudget: 3))
            steps.append("instruct   \"What is the capital of France?\" -> \"\(answer.text)\" (\(answer.attempts) attempts: the first was not one word)")
            let reply = try await session.chat("What is the weather there?")
            steps.append("chat       \"What is the weather there?\" -> get_weather -> \"\(reply.text)\"")
            var streamed = ""
            for try await chunk in session.stream("Describe Paris in one sentence.") { streamed += chunk }
            steps.append("stream     \"Describe Paris in one sentence.\" -> \"\(streamed.trimmingCharacters(in: .whitespaces))\"")
            return steps
        }
    }

    private static func metadata(_ id: String, input: Int, output: Int, finish: String) -> GenerationMetadata {
        GenerationMetadata(responseID: id, responseModel: model, finishReasons: [finish],
                           usage: TokenUsage(inputTokens: input, outputTokens: output))
    }
}
