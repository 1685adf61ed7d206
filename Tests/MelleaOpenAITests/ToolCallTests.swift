import Foundation
import MelleaOpenAI
import MelleaTracing
import XCTest

/// Tool calls travel both ways: the model's calls come back whole, the tools' results go back as
/// `tool` messages, so a tool loop works against a real server.
final class ToolCallTests: XCTestCase {
    func testAToolLoopRoundTripsCallsAndResultsThroughTheServer() async throws {
        let traced = try TracedServer()
        let core = GenerativeCore(registry: traced.registry)
        let backend = try traced.backend("tools")
        let tools = [ToolDefinition(name: "weather", parametersJSON: #"{"type":"object"}"#)]
        var messages: [ChatMessage] = [.user("weather in Paris and Oslo?")]

        let first = try await core.generate(backend, GenerationRequest(messages: messages, tools: tools, toolChoice: .auto))
        XCTAssertEqual(first.toolCalls, [ToolCall(id: "call_1_a", name: "weather", argumentsJSON: #"{"city": "Paris"}"#),
                                         ToolCall(id: "call_1_b", name: "weather", argumentsJSON: #"{"city": "Oslo"}"#)])
        XCTAssertEqual(first.metadata.finishReasons, ["tool_calls"])
        messages.append(.assistant(first.text, toolCalls: first.toolCalls))
        for call in first.toolCalls {
            let output = try await core.invokeTool(call) { call in call.argumentsJSON.contains("Paris") ? "sunny" : "snow" }
            messages.append(.tool(callID: call.id, output))
        }
        let second = try await core.generate(backend, GenerationRequest(messages: messages, tools: tools))
        XCTAssertEqual(second.text, "tool said: sunny | snow")
        XCTAssertTrue(second.toolCalls.isEmpty)

        let sent = try XCTUnwrap(traced.requests().last?.body["messages"] as? NSArray)
        XCTAssertEqual(sent, [
            ["role": "user", "content": "weather in Paris and Oslo?"],
            ["role": "assistant", "content": NSNull(), "tool_calls": [
                ["id": "call_1_a", "type": "function", "function": ["name": "weather", "arguments": #"{"city": "Paris"}"#]],
                ["id": "call_1_b", "type": "function", "function": ["name": "weather", "arguments": #"{"city": "Oslo"}"#]],
            ]],
            ["role": "tool", "content": "sunny", "tool_call_id": "call_1_a"],
            ["role": "tool", "content": "snow", "tool_call_id": "call_1_b"],
        ])

        XCTAssertTrue(traced.receiver.wait { traced.spans().filter { $0.name.hasPrefix("execute_tool") }.count == 2 })
        let spans = traced.spans()
        let chats = spans.filter { $0.name == "chat test-model" }
        XCTAssertEqual(chats.count, 2)
        XCTAssertEqual(chats.compactMap { $0["gen_ai.response.finish_reasons"] as? [String] }.sorted { $0[0] > $1[0] },
                       [["tool_calls"], ["stop"]])
        XCTAssertEqual(spans.filter { $0.name == "execute_tool weather" }.count, 2)
        XCTAssertEqual(spans.filter { $0.name == "POST" }.count, 2)
    }
}
