import Foundation
import Logging
import MelleaTracing

/// Where and how an ``OpenAIBackend`` calls an OpenAI-compatible server.
///
/// Printing it (`description`, `debugDescription`, `dump`) never shows the API key.
public struct OpenAIConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The API's base URL, path included, as the OpenAI SDKs take it: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:11434/v1` (Ollama), `http://127.0.0.1:8000/v1` (vLLM). Endpoints are
    /// appended to it (`/chat/completions`, `/completions`).
    public var baseURL: String
    /// The API key, sent only as `Authorization: Bearer <key>`; `nil` sends no such header
    /// (local servers rarely want one).
    public var apiKey: String?
    /// The model id sent with every request, and the span's `gen_ai.request.model`.
    public var model: String
    /// `gen_ai.provider.name`. Name the server you use (`ollama`, `vllm`, `azure.ai.openai`, ...):
    /// the default, `openai`, is right for OpenAI's own host, and for any other server it is only the
    /// wire format's provider (what OpenAI's instrumentations record for every server they talk to).
    public var provider: String
    /// The longest wait for the server: for the whole answer of a call that is not streamed, and
    /// for each next event of a stream. The request is cancelled when it runs out.
    public var timeout: Duration
    /// Which field carries the maximum number of tokens; OpenAI's own host gets
    /// `max_completion_tokens`, every other server `max_tokens`.
    public var maxTokensField: MaxTokensField
    /// Headers added to every request (e.g. `OpenAI-Organization`). Values are never logged.
    public var extraHeaders: [String: String]
    /// Whether async-http-client records a span per HTTP request (nested under `chat`). When off,
    /// the back end still sends the `chat` span's `traceparent`.
    public var tracesHTTPRequests: Bool
    /// Where the back end and its HTTP client log; `nil` logs nothing. The API key never appears.
    public var logger: Logger?

    /// A configuration from explicit values.
    public init(baseURL: String = "https://api.openai.com/v1", apiKey: String? = nil, model: String,
                provider: String = "openai", timeout: Duration = .seconds(120), maxTokensField: MaxTokensField? = nil,
                extraHeaders: [String: String] = [:], tracesHTTPRequests: Bool = true, logger: Logger? = nil) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.model = model
        self.provider = provider
        self.timeout = timeout
        self.maxTokensField = maxTokensField
            ?? (URL(string: baseURL)?.host == Self.openAIHost ? .maxCompletionTokens : .maxTokens)
        self.extraHeaders = extraHeaders
        self.tracesHTTPRequests = tracesHTTPRequests
        self.logger = logger
    }

    /// A configuration from `OPENAI_BASE_URL` (default `https://api.openai.com/v1`), `OPENAI_API_KEY`
    /// and, when `model` is `nil`, `OPENAI_MODEL`.
    public static func fromEnvironment(model: String? = nil, provider: String = "openai",
                                       environment: [String: String] = ProcessInfo.processInfo.environment,
                                       timeout: Duration = .seconds(120)) throws(OpenAIError) -> OpenAIConfiguration {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        guard let model = model ?? value("OPENAI_MODEL") else {
            throw OpenAIError(.invalidConfiguration, message: "no model: pass one or set OPENAI_MODEL")
        }
        return OpenAIConfiguration(baseURL: value("OPENAI_BASE_URL") ?? "https://api.openai.com/v1",
                                   apiKey: value("OPENAI_API_KEY"), model: model, provider: provider, timeout: timeout)
    }

    static let openAIHost = "api.openai.com"

    /// The configuration with the key hidden.
    public var description: String {
        "OpenAIConfiguration(baseURL: \(baseURL), model: \(model), provider: \(provider), apiKey: "
            + (apiKey == nil ? "none" : "[redacted]") + ", timeout: \(timeout))"
    }

    /// The same as ``description``.
    public var debugDescription: String { description }

    /// What `dump` and the debugger show: everything but the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["baseURL": baseURL, "model": model, "provider": provider,
                                "apiKey": apiKey == nil ? "none" : "[redacted]", "timeout": timeout])
    }
}
