import MelleaTracing

/// A back end that answers at once, so W3 measures only the core's instrumentation points.
struct InstantBackend: Backend {
    let modelID = "granite-3.3-8b"
    let provider = "openai"
    let result = GenerationResult(text: "ok")

    func generate(_ request: GenerationRequest) async throws -> GenerationResult { result }
    func generateBatch(_ prompts: [String], options: ModelOptions) async throws -> (outputs: [String], usage: TokenUsage) {
        (prompts, TokenUsage())
    }
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<StreamChunk, any Error> {
        AsyncThrowingStream { $0.finish() }
    }
}

/// W3: nanoseconds an instrumented generation call costs when nobody listens — the difference
/// between going through the core (hook points included) and calling the back end directly.
func measureDisabledCost(calls: Int) async -> (perCall: Double, direct: Double, throughCore: Double) {
    // Both paths call the back end through the existential, as the core does.
    let backend: any Backend = opaque(InstantBackend())
    let core = GenerativeCore(registry: HookRegistry())
    let request = GenerationRequest(messages: [.user("hi")])
    var directRuns: [Double] = []
    var coreRuns: [Double] = []
    for _ in 0..<5 {
        var start = ContinuousClock.now
        for _ in 0..<calls { _ = try? await backend.generate(request) }
        directRuns.append(Double((ContinuousClock.now - start).wholeNanoseconds) / Double(calls))
        start = ContinuousClock.now
        for _ in 0..<calls { _ = try? await core.generate(backend, request) }
        coreRuns.append(Double((ContinuousClock.now - start).wholeNanoseconds) / Double(calls))
    }
    let direct = directRuns.sorted()[2]
    let throughCore = coreRuns.sorted()[2]
    return (max(0, throughCore - direct), direct, throughCore)
}

@inline(never)
func opaque(_ backend: any Backend) -> any Backend { backend }
