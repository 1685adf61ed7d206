import ArgumentParser
import Foundation
import MelleaOpenAI
import MelleaTracing
import OTLPReceiver

/// `mellea-trace chat`: one real model call through the OpenAI-compatible back end, traced.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Send one prompt to an OpenAI-compatible server and show the answer's trace.",
        discussion: """
            Calls {base-url}/chat/completions (OpenAI, Ollama, vLLM, llama.cpp's server, LiteLLM, \
            ...) in a traced session, prints the answer, then the trace: exported to \
            OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT when set, else received by an embedded receiver and \
            printed as a tree. The API key is read from the environment, never from the command line.

            Exits 1 when the call fails (the trace, with its error, is still shown) or not every span \
            was delivered.
            """
    )

    @Option(help: ArgumentHelp("The API's base URL, path included (e.g. http://127.0.0.1:11434/v1).", valueName: "url"))
    var baseURL: String

    @Option(help: ArgumentHelp("The model to ask.", valueName: "model"))
    var model: String

    @Option(help: ArgumentHelp("The environment variable holding the API key (default: OPENAI_API_KEY when set, else no key).",
                               valueName: "var"))
    var apiKeyEnv: String?

    @Option(help: ArgumentHelp("gen_ai.provider.name to record (ollama, vllm, openai, ...).", valueName: "name"))
    var provider = "openai"

    @Option(help: ArgumentHelp("Seconds to wait for the server.", valueName: "seconds"))
    var timeout = 120.0

    @Flag(help: "Stream the answer as it is generated.")
    var stream = false

    @Argument(help: "The prompt.")
    var prompt: String

    func validate() throws {
        guard let url = URL(string: baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            throw ValidationError("--base-url expects an http(s) URL with a host, like http://127.0.0.1:11434/v1, got '\(baseURL)'")
        }
        guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout expects seconds > 0, got \(timeout)") }
        if let apiKeyEnv, (ProcessInfo.processInfo.environment[apiKeyEnv] ?? "").isEmpty {
            throw ValidationError("--api-key-env names \(apiKeyEnv), which is not set (or empty) in the environment")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let key = apiKeyEnv.flatMap { environment[$0] } ?? environment["OPENAI_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let backend: OpenAIBackend
        do {
            backend = try OpenAIBackend(configuration: OpenAIConfiguration(
                baseURL: baseURL, apiKey: key, model: model, provider: provider,
                timeout: .milliseconds(Int(timeout * 1000))))
        } catch {
            complain("\(error)")
            throw failed
        }
        let traced: TracedRun
        do { traced = try TracedRun(serviceName: "mellea-trace-chat", environment: environment) } catch {
            complain("could not start the embedded receiver: \(error)")
            throw failed
        }
        var answered = true
        do {
            try await Session.with(backend: backend) { session in
                if stream {
                    for try await chunk in session.stream(prompt) {
                        print(chunk, terminator: "")
                        flushStandardOutput()
                    }
                    print("")
                } else {
                    print(try await session.chat(prompt).text)
                }
            }
        } catch {
            answered = false
            complain("the call failed: \(error)")
        }
        print("")
        let delivered = traced.finish(colour: TerminalColour.isEnabled(environment: environment))
        guard answered, delivered else { throw failed }
    }
}
