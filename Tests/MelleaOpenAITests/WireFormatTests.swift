import Foundation
@testable import MelleaOpenAI
import MelleaTracing
import XCTest

/// The pieces of the wire format that need no server: event-stream framing, tool-call assembly,
/// configuration.
final class WireFormatTests: XCTestCase {
    func testEventsSplitAnywhereAndInEveryLineEndingComeOutWhole() {
        let stream = "data: {\"a\":1}\r\n\r\n: keep-alive\n\nevent: x\ndata: first\ndata: second\n\ndata:[DONE]\r\r"
        let bytes = Array(stream.utf8)
        for size in [1, 2, 3, 7, bytes.count] {
            var parser = ServerSentEventParser()
            var events: [String] = []
            for start in stride(from: 0, to: bytes.count, by: size) {
                events += parser.feed(bytes[start..<min(start + size, bytes.count)])
            }
            XCTAssertEqual(events, ["{\"a\":1}", "first\nsecond", "[DONE]"], "pieces of \(size) bytes")
            XCTAssertFalse(parser.hasPartialEvent)
        }
    }

    func testAnEventWithoutItsBlankLineIsPartial() {
        var parser = ServerSentEventParser()
        XCTAssertEqual(parser.feed(Array("data: whole\n\ndata: cut".utf8)), ["whole"])
        XCTAssertTrue(parser.hasPartialEvent)
    }

    func testToolCallDeltasAssembleByIndexEvenInterleaved() throws {
        typealias Delta = WireChatChunk.ToolCallDelta
        var assembler = ToolCallAssembler()
        assembler.add(Delta(index: 0, id: "a", function: .init(name: "f", arguments: "")))
        assembler.add(Delta(index: 1, id: "b", function: .init(name: "g", arguments: "{\"y\"")))
        assembler.add(Delta(index: 0, id: nil, function: .init(name: "f", arguments: "{\"x\": 1}")))
        assembler.add(Delta(index: 1, id: nil, function: .init(name: nil, arguments: ": 2}")))
        XCTAssertEqual(try assembler.calls(), [ToolCall(id: "a", name: "f", argumentsJSON: "{\"x\": 1}"),
                                               ToolCall(id: "b", name: "g", argumentsJSON: "{\"y\": 2}")])
    }

    func testToolCallDeltasWithoutIndexOpenACallPerID() throws {
        typealias Delta = WireChatChunk.ToolCallDelta
        var assembler = ToolCallAssembler()
        assembler.add(Delta(index: nil, id: "a", function: .init(name: "f", arguments: "{")))
        assembler.add(Delta(index: nil, id: nil, function: .init(name: nil, arguments: "}")))
        assembler.add(Delta(index: nil, id: "b", function: .init(name: "g", arguments: nil)))
        XCTAssertEqual(try assembler.calls(), [ToolCall(id: "a", name: "f", argumentsJSON: "{}"),
                                               ToolCall(id: "b", name: "g", argumentsJSON: "{}")])
    }

    func testAStreamedCallThatNeverGetsANameIsMalformed() {
        var assembler = ToolCallAssembler()
        assembler.add(WireChatChunk.ToolCallDelta(index: 0, id: "a", function: .init(name: nil, arguments: "{}")))
        XCTAssertThrowsError(try assembler.calls()) { XCTAssertEqual(($0 as? OpenAIError)?.kind, .malformedResponse) }
    }

    func testAToolSchemaThatIsNotJSONFailsBeforeAnythingIsSent() {
        let request = GenerationRequest(messages: [.user("x")], tools: [ToolDefinition(name: "t", parametersJSON: "{oops")])
        XCTAssertThrowsError(try RequestBodies.chat(request, model: "m", stream: false, maxTokensField: .maxTokens)) {
            XCTAssertEqual(($0 as? OpenAIError)?.kind, .invalidRequest)
        }
    }

    func testConfigurationFromTheEnvironmentAndTheServerFromTheURL() throws {
        let configuration = try OpenAIConfiguration.fromEnvironment(
            model: "granite", provider: "ollama",
            environment: ["OPENAI_BASE_URL": "http://llm.local:11434/v1/", "OPENAI_API_KEY": "k"])
        XCTAssertEqual(configuration.baseURL, "http://llm.local:11434/v1/")
        XCTAssertEqual(configuration.apiKey, "k")
        XCTAssertEqual(configuration.maxTokensField, .maxTokens)
        let backend = try OpenAIBackend(configuration: configuration)
        XCTAssertEqual(backend.modelID, "granite")
        XCTAssertEqual(backend.provider, "ollama")
        XCTAssertEqual(backend.serverAddress, "llm.local")
        XCTAssertEqual(backend.serverPort, 11434)
        XCTAssertTrue(backend.isRemote)

        let openAI = try OpenAIConfiguration.fromEnvironment(environment: ["OPENAI_MODEL": "gpt-4o-mini"])
        XCTAssertEqual(openAI.baseURL, "https://api.openai.com/v1")
        XCTAssertEqual(openAI.provider, "openai")
        XCTAssertEqual(openAI.maxTokensField, .maxCompletionTokens, "OpenAI's own host wants max_completion_tokens")
        XCTAssertNil(openAI.apiKey)
        XCTAssertEqual(try OpenAIBackend(configuration: openAI).serverPort, 443)
    }

    func testAMissingModelOrABadURLIsAConfigurationError() {
        XCTAssertThrowsError(try OpenAIConfiguration.fromEnvironment(environment: [:])) {
            XCTAssertEqual(($0 as? OpenAIError)?.kind, .invalidConfiguration)
        }
        XCTAssertThrowsError(try OpenAIBackend(configuration: OpenAIConfiguration(baseURL: "127.0.0.1:8000", model: "m"))) {
            XCTAssertEqual(($0 as? OpenAIError)?.kind, .invalidConfiguration)
        }
    }

    func testEveryStatusMapsToItsKind() {
        let kinds = [400, 401, 403, 404, 408, 409, 422, 429, 500, 503].map(OpenAIError.kind(forStatus:))
        XCTAssertEqual(kinds, [.badRequest, .authentication, .permissionDenied, .notFound, .timeout, .badRequest,
                               .badRequest, .rateLimited, .serverError, .serverError])
    }
}
