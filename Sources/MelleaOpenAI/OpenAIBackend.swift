import AsyncHTTPClient
import Foundation
import MelleaTracing
import NIOCore
import Tracing

/// A ``MelleaTracing/Backend`` for servers that speak OpenAI's chat-completions wire format:
/// OpenAI, Ollama, vLLM, llama.cpp's server, LiteLLM's proxy, LM Studio and many hosted providers.
///
/// ```swift
/// TracingSystem.bootstrap()
/// let backend = try OpenAIBackend(configuration: .fromEnvironment(model: "granite3.3:8b", provider: "ollama"))
/// let session = try Session.start(backend: backend)
/// print(try await session.chat("Why is the sky blue?").text)
/// ```
///
/// Chat generations go to `{baseURL}/chat/completions` (streamed as server-sent events with
/// `stream_options.include_usage`), batches to the legacy `{baseURL}/completions` with one prompt
/// per entry. The generative core runs it inside the `chat` span, so async-http-client's request
/// span nests under it and the server receives that trace in `traceparent`.
public struct OpenAIBackend: Backend {
    /// How the back end reaches its server.
    public let configuration: OpenAIConfiguration
    private let exchange: Exchange
    private let host: String?
    private let port: Int?

    /// A back end over its own HTTP client, which records its spans through ``MelleaTracing/MelleaTracer/current``
    /// (so they nest under `chat` whatever `InstrumentationSystem` holds), or records none when
    /// ``OpenAIConfiguration/tracesHTTPRequests`` is off. The client is shared and lives as long as the process.
    public init(configuration: OpenAIConfiguration) throws(OpenAIError) {
        try self.init(configuration: configuration,
                      httpClient: configuration.tracesHTTPRequests ? Self.tracingClient : Self.quietClient)
    }

    /// A back end over an HTTP client of the caller's, which the caller shuts down. Its spans nest
    /// under `chat` only if its `configuration.tracing.tracer` is ``MelleaTracing/MelleaTracer/current``
    /// (or `InstrumentationSystem.tracer` after ``MelleaTracing/TracingSystem`` bootstrapped it).
    public init(configuration: OpenAIConfiguration, httpClient: HTTPClient) throws(OpenAIError) {
        guard let url = URL(string: configuration.baseURL), let scheme = url.scheme, ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            // Not echoed: a malformed URL may still carry a secret.
            throw OpenAIError(.invalidConfiguration,
                              message: "the base URL is not an http(s) URL with a host, like http://127.0.0.1:8000/v1")
        }
        if url.user != nil || url.password != nil {
            throw OpenAIError(.invalidConfiguration, message: "the base URL carries credentials: give the key as apiKey instead")
        }
        self.configuration = configuration
        self.host = host
        port = url.port ?? (scheme == "https" ? 443 : 80)
        exchange = Exchange(client: httpClient, configuration: configuration)
    }

    /// The model id sent with every request.
    public var modelID: String { configuration.model }
    /// `gen_ai.provider.name`.
    public var provider: String { configuration.provider }
    /// The server's host, from the base URL.
    public var serverAddress: String? { host }
    /// The server's port, from the base URL (or the scheme's default).
    public var serverPort: Int? { port }

    /// One chat completion.
    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        let body = try RequestBodies.chat(request, model: configuration.model, stream: false,
                                          maxTokensField: configuration.maxTokensField)
        let completion = try await exchange.call("/chat/completions", body, as: WireChatCompletion.self)
        let choices = completion.choices.sorted { ($0.index ?? 0) < ($1.index ?? 0) }
        guard let first = choices.first else {
            throw OpenAIError(.malformedResponse, message: "the chat completion has no choices")
        }
        let calls = try (first.message?.toolCalls ?? []).enumerated().map { index, call throws(OpenAIError) in
            guard let name = call.function?.name else {
                throw OpenAIError(.malformedResponse, message: "tool call \(index) has no function name")
            }
            return ToolCall(id: call.id ?? "call_\(index)", name: name, argumentsJSON: call.function?.arguments ?? "{}")
        }
        return GenerationResult(text: first.message?.content ?? "", toolCalls: calls, metadata: GenerationMetadata(
            responseID: completion.id, responseModel: completion.model, finishReasons: choices.compactMap(\.finishReason),
            usage: completion.usage?.tokenUsage ?? TokenUsage()))
    }

    /// One completion per prompt from the legacy completions endpoint, in one request. With
    /// ``MelleaTracing/ModelOptions/choiceCount`` above 1, each prompt's first choice.
    public func generateBatch(_ prompts: [String], options: ModelOptions) async throws -> (outputs: [String], usage: TokenUsage) {
        guard !prompts.isEmpty else { return ([], TokenUsage()) }
        let body = RequestBodies.completions(prompts, options: options, model: configuration.model,
                                             maxTokensField: configuration.maxTokensField)
        let completion = try await exchange.call("/completions", body, as: WireCompletion.self)
        let perPrompt = max(options.choiceCount ?? 1, 1)
        let choices = completion.choices.sorted { ($0.index ?? 0) < ($1.index ?? 0) }
        guard choices.count == prompts.count * perPrompt else {
            throw OpenAIError(.malformedResponse,
                              message: "\(choices.count) choices for \(prompts.count) prompts of \(perPrompt) choice(s) each")
        }
        let outputs = stride(from: 0, to: choices.count, by: perPrompt).map { choices[$0].text ?? "" }
        return (outputs, completion.usage?.tokenUsage ?? TokenUsage())
    }

    /// A streamed chat completion: the text as it comes, then one last chunk with the whole tool
    /// calls and the metadata (usage from the stream's final chunk). Ending the iteration, or
    /// cancelling the task that iterates, cancels the HTTP request.
    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<StreamChunk, any Error> {
        let exchange = exchange
        let configuration = configuration
        return AsyncThrowingStream { continuation in
            // An unstructured task inherits the caller's task-locals: the `chat` span stays current.
            let task = Task {
                do {
                    let body = try RequestBodies.chat(request, model: configuration.model, stream: true,
                                                      maxTokensField: configuration.maxTokensField)
                    let reader = ChatStreamReader(continuation: continuation) { data in
                        try exchange.decode(WireChatChunk.self, from: data, what: "a stream event")
                    }
                    let done = try await exchange.stream("/chat/completions", body, into: reader)
                    continuation.yield(try done.finalChunk())
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The client of back ends that trace HTTP requests: async-http-client takes its tracer when
    /// the client is made, so it is given ours rather than whatever `InstrumentationSystem` holds
    /// then (a client made before ``MelleaTracing/TracingSystem/bootstrap(environment:registry:bootstrapInstrumentationSystem:)``
    /// would otherwise keep a no-op tracer for good). Redirects are off: they could carry the key elsewhere.
    static let tracingClient = makeClient(tracer: MelleaTracer.current)
    /// The client of back ends that do not.
    static let quietClient = makeClient(tracer: nil)

    private static func makeClient(tracer: (any Tracer)?) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.tracing.tracer = tracer
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
