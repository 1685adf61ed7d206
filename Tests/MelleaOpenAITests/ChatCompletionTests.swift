import Foundation
import MelleaOpenAI
import MelleaTracing
import XCTest

/// Non-streamed chat completions, checked on both sides: what the server received and what the
/// receiver got through the real export pipeline.
final class ChatCompletionTests: XCTestCase {
    func testEveryRequestParameterAndMessageKindReachesTheWire() async throws {
        let traced = try TracedServer()
        let request = GenerationRequest(
            messages: [.system("Be brief."), .user("weather?"),
                       .assistant("", toolCalls: [ToolCall(id: "call_9", name: "weather", argumentsJSON: #"{"city":"Rome"}"#)]),
                       .tool(callID: "call_9", "sunny"), .user("and tomorrow?")],
            options: ModelOptions(temperature: 0.25, topP: 0.5, topK: 40, maxTokens: 64, frequencyPenalty: 0.125,
                                  presencePenalty: -0.5, stopSequences: ["END", "STOP"], seed: 7, choiceCount: 2),
            format: .json(schemaName: "forecast", schemaJSON: #"{"type":"object","properties":{"sky":{"type":"string"}}}"#),
            tools: [ToolDefinition(name: "weather", description: "The weather in a city",
                                   parametersJSON: #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#)],
            toolChoice: .function("weather"))
        let result = try await GenerativeCore(registry: traced.registry).generate(try traced.backend(), request)
        XCTAssertEqual(result.text, "echo: and tomorrow?")

        let body = try traced.onlyRequest().body
        XCTAssertEqual(body["model"] as? String, "test-model")
        XCTAssertEqual(body["temperature"] as? Double, 0.25)
        XCTAssertEqual(body["top_p"] as? Double, 0.5)
        XCTAssertEqual(body["top_k"] as? Int, 40)
        XCTAssertEqual(body["max_tokens"] as? Int, 64, "a server other than OpenAI's gets max_tokens")
        XCTAssertNil(body["max_completion_tokens"])
        XCTAssertEqual(body["frequency_penalty"] as? Double, 0.125)
        XCTAssertEqual(body["presence_penalty"] as? Double, -0.5)
        XCTAssertEqual(body["stop"] as? [String], ["END", "STOP"])
        XCTAssertEqual(body["seed"] as? Int, 7)
        XCTAssertEqual(body["n"] as? Int, 2)
        XCTAssertNil(body["stream"], "a call that is not streamed does not say stream")
        XCTAssertEqual(body["response_format"] as? NSDictionary, [
            "type": "json_schema",
            "json_schema": ["name": "forecast", "schema": ["type": "object", "properties": ["sky": ["type": "string"]]]],
        ])
        XCTAssertEqual(body["tools"] as? NSArray, [[
            "type": "function",
            "function": ["name": "weather", "description": "The weather in a city",
                         "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]]],
        ]])
        XCTAssertEqual(body["tool_choice"] as? NSDictionary, ["type": "function", "function": ["name": "weather"]])
        XCTAssertEqual(body["messages"] as? NSArray, [
            ["role": "system", "content": "Be brief."],
            ["role": "user", "content": "weather?"],
            ["role": "assistant", "content": NSNull(), "tool_calls": [
                ["id": "call_9", "type": "function", "function": ["name": "weather", "arguments": #"{"city":"Rome"}"#]],
            ]],
            ["role": "tool", "content": "sunny", "tool_call_id": "call_9"],
            ["role": "user", "content": "and tomorrow?"],
        ])
    }

    func testJSONObjectFormatAndNamedToolChoicesReachTheWire() async throws {
        let traced = try TracedServer()
        let backend = try traced.backend()
        let tool = ToolDefinition(name: "lookup")
        for choice in [ToolChoice.auto, .none, .required] {
            _ = try await backend.generate(GenerationRequest(messages: [.user("x")], format: .jsonObject, tools: [tool],
                                                             toolChoice: choice))
        }
        let bodies = traced.requests().map(\.body)
        XCTAssertEqual(bodies.map { $0["tool_choice"] as? String }, ["auto", "none", "required"])
        XCTAssertEqual(bodies.first?["response_format"] as? NSDictionary, ["type": "json_object"])
        XCTAssertEqual(bodies.first?["tools"] as? NSArray, [["type": "function", "function": ["name": "lookup", "parameters": [:]]]])
    }

    func testChatSpanCarriesProviderServerResponseUsageAndFinishReasons() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend(), registry: traced.registry)
        let result = try await session.chat("hello", options: ModelOptions(temperature: 0.5, choiceCount: 2))
        session.close()
        XCTAssertEqual(result.generation.metadata, GenerationMetadata(
            responseID: "chatcmpl-test-1", responseModel: "test-model-2025-01-01", finishReasons: ["stop", "length"],
            usage: TokenUsage(inputTokens: 42, outputTokens: 7, cacheReadInputTokens: 30, reasoningOutputTokens: 5)))

        let chat = try traced.span(named: "chat test-model")
        XCTAssertEqual(chat.kind, "SPAN_KIND_CLIENT")
        XCTAssertEqual(chat["gen_ai.operation.name"] as? String, "chat")
        XCTAssertEqual(chat["gen_ai.provider.name"] as? String, "vllm")
        XCTAssertEqual(chat["gen_ai.request.model"] as? String, "test-model")
        XCTAssertEqual(chat["server.address"] as? String, "127.0.0.1")
        XCTAssertEqual(chat["server.port"] as? Int, traced.server.port)
        XCTAssertEqual(chat["gen_ai.request.temperature"] as? Double, 0.5)
        XCTAssertEqual(chat["gen_ai.request.choice.count"] as? Int, 2)
        XCTAssertEqual(chat["gen_ai.response.id"] as? String, "chatcmpl-test-1")
        XCTAssertEqual(chat["gen_ai.response.model"] as? String, "test-model-2025-01-01")
        XCTAssertEqual(chat["gen_ai.response.finish_reasons"] as? [String], ["stop", "length"])
        XCTAssertEqual(chat["gen_ai.usage.input_tokens"] as? Int, 42)
        XCTAssertEqual(chat["gen_ai.usage.output_tokens"] as? Int, 7)
        XCTAssertEqual(chat["gen_ai.usage.cache_read.input_tokens"] as? Int, 30)
        XCTAssertEqual(chat["gen_ai.usage.reasoning.output_tokens"] as? Int, 5)
        XCTAssertEqual(chat["gen_ai.conversation.id"] as? String, session.id)
        XCTAssertNil(chat.statusCode, "a successful chat has an unset status")
    }

    func testHTTPClientSpanIsAChildOfChatAndCarriesTheTraceToTheServer() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend(), registry: traced.registry)
        _ = try await session.chat("hello")
        session.close()

        let chat = try traced.span(named: "chat test-model")
        let http = try traced.span(named: "POST")
        XCTAssertEqual(http.traceID, chat.traceID)
        XCTAssertEqual(http.parentSpanID, chat.spanID, "async-http-client's span nests under chat")
        XCTAssertEqual(http.kind, "SPAN_KIND_CLIENT")
        XCTAssertEqual(http["http.request.method"] as? String, "POST")
        XCTAssertEqual(http["http.status_code"] as? Int, 200)
        XCTAssertEqual(http["url.path"] as? String, "/ok/v1/chat/completions")
        XCTAssertGreaterThanOrEqual(http.startNanos, chat.startNanos)
        XCTAssertLessThanOrEqual(http.endNanos, chat.endNanos)
        // The server's parent is the span that made the request: the HTTP span, in chat's trace.
        XCTAssertEqual(try traced.onlyRequest().headers["traceparent"], "00-\(chat.traceID)-\(http.spanID)-01")
    }

    func testWithoutHTTPSpansTheServerReceivesTheChatSpansOwnTraceparent() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend(tracesHTTPRequests: false), registry: traced.registry)
        _ = try await session.chat("hello")
        session.close()

        let chat = try traced.span(named: "chat test-model")
        XCTAssertEqual(try traced.onlyRequest().headers["traceparent"], "00-\(chat.traceID)-\(chat.spanID)-01")
        XCTAssertTrue(traced.children(of: chat).isEmpty, "no HTTP span: \(traced.children(of: chat).map(\.name))")
    }
}
