import Foundation
import MelleaTracing
import OTLPExport
import Synchronization
import XCTest

/// A plugin for tests: records the order it ran in and can change, refuse, throw or block.
final class ProbePlugin: Plugin {
    let name: String
    let priority: Int
    let mode: PluginMode
    let hooks: Set<HookType>
    let log: Locked<[String]>
    let action: @Sendable (String, inout GenerationPreCallPayload) throws -> Void
    let onPost: @Sendable (String) throws -> Void
    static let order = Locked<[String]>([])

    init(_ name: String, priority: Int = 50, mode: PluginMode = .sequential,
         hooks: Set<HookType> = [.generationPreCall, .generationPostCall],
         action: @escaping @Sendable (String, inout GenerationPreCallPayload) throws -> Void = { _, _ in },
         onPost: @escaping @Sendable (String) throws -> Void = { _ in }) {
        self.name = name
        self.priority = priority
        self.mode = mode
        self.hooks = hooks
        self.log = Locked([])
        self.action = action
        self.onPost = onPost
    }

    func generationPreCall(_ payload: inout GenerationPreCallPayload) throws {
        ProbePlugin.order.withLock { $0.append("\(name).pre") }
        log.withLock { $0.append("pre temperature=\(payload.modelOptions.temperature ?? -1)") }
        try action(name, &payload)
    }

    func generationPostCall(_ payload: inout GenerationPostCallPayload) throws {
        ProbePlugin.order.withLock { $0.append("\(name).post") }
        try onPost(name)
    }
}

final class HookRegistryTests: XCTestCase {
    override func setUp() { ProbePlugin.order.withLock { $0 = [] } }

    func testNobodyListensUntilAPluginSubscribes() {
        let registry = HookRegistry()
        XCTAssertFalse(registry.isListening(.generationPreCall))
        let plugin = ProbePlugin("p", hooks: [.generationPreCall])
        registry.register(plugin)
        XCTAssertTrue(registry.isListening(.generationPreCall))
        XCTAssertFalse(registry.isListening(.toolPreInvoke))
        registry.unregister(plugin)
        XCTAssertFalse(registry.isListening(.generationPreCall))
    }

    func testSequentialPluginsRunByPriorityAndTheirChangesReachTheBackEnd() async throws {
        let registry = HookRegistry()
        let late = ProbePlugin("late", priority: 90)
        let early = ProbePlugin("early", priority: 10) { _, payload in payload.modelOptions.temperature = 0.1 }
        registry.register(late)
        registry.register(early)
        let seen = SeenBox()
        let backend = ScriptedBackend(replies: [.text("x")])
        _ = try await GenerativeCore(registry: registry).generate(CapturingBackend(backend, seen), GenerationRequest(messages: [.user("q")],
                                                                  options: ModelOptions(temperature: 0.9)))
        XCTAssertEqual(ProbePlugin.order.withLock { $0 }, ["early.pre", "late.pre", "early.post", "late.post"])
        XCTAssertEqual(late.log.withLock { $0 }.first, "pre temperature=0.1")
        XCTAssertEqual(seen.current, 0.1, "the back end must see the option a plugin changed")
    }

    func testARefusalOnAnOpeningHookFailsTheCallWithAClearError() async throws {
        let registry = HookRegistry()
        registry.register(ProbePlugin("guard") { _, _ in throw HookRefusal("model not allowed") })
        do {
            _ = try await GenerativeCore(registry: registry).generate(ScriptedBackend(), GenerationRequest(messages: []))
            XCTFail("the call must be refused")
        } catch let error as PluginRefusedError {
            XCTAssertEqual(error.plugin, "guard")
            XCTAssertEqual(error.hook, .generationPreCall)
            XCTAssertTrue(error.description.contains("model not allowed"))
        }
    }

    func testAThrowingPluginIsSkippedAndReportedOnceWhileOthersRun() async throws {
        let recorder = RecordingDiagnostics()
        let registry = HookRegistry(diagnostics: recorder.diagnostics)
        registry.register(ProbePlugin("broken", priority: 1, onPost: { _ in throw TestFailure(description: "boom") }))
        registry.register(ProbePlugin("fine", priority: 2))
        for _ in 0..<3 { _ = try await GenerativeCore(registry: registry).generate(ScriptedBackend(), GenerationRequest(messages: [])) }
        XCTAssertEqual(ProbePlugin.order.withLock { $0 }.filter { $0 == "fine.post" }.count, 3)
        XCTAssertEqual(recorder.messages.filter { $0.text.contains("'broken'") }.count, 1)
    }

    func testFireAndForgetPluginsGetASnapshotAndCannotDelayTheCall() async throws {
        let registry = HookRegistry()
        let released = DispatchSemaphore(value: 0)
        let observer = ProbePlugin("observer", mode: .fireAndForget) { _, payload in
            payload.modelOptions.temperature = 2.0
            released.wait()
        }
        registry.register(observer)
        let seen = SeenBox()
        let start = ContinuousClock.now
        _ = try await GenerativeCore(registry: registry).generate(CapturingBackend(ScriptedBackend(), seen),
                                                                  GenerationRequest(messages: [], options: ModelOptions(temperature: 0.5)))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1), "a blocked observer must not delay the call")
        XCTAssertEqual(seen.current, 0.5, "an observer's change must not reach the back end")
        released.signal()
        released.signal()
    }

    func testSessionScopedPluginsOnlySeeTheirSession() async throws {
        let registry = HookRegistry()
        let scoped = ProbePlugin("scoped", hooks: [.generationPreCall])
        let mine = try Session.start(backend: ScriptedBackend(), registry: registry)
        let other = try Session.start(backend: ScriptedBackend(), registry: registry)
        registry.register(scoped, sessionID: mine.id)
        _ = try await other.chat("a")
        _ = try await mine.chat("b")
        XCTAssertEqual(scoped.log.withLock { $0 }.count, 1)
        mine.close()
        XCTAssertFalse(registry.isListening(.generationPreCall), "closing the session removes its plugins")
    }
}

/// Wraps a back end and records the temperature it was called with.
struct CapturingBackend: Backend {
    let inner: ScriptedBackend
    let seen: SeenBox
    init(_ inner: ScriptedBackend, _ seen: SeenBox) {
        self.inner = inner
        self.seen = seen
    }
    var modelID: String { inner.modelID }
    var provider: String { inner.provider }
    func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        seen.set(request.options.temperature)
        return try await inner.generate(request)
    }
    func generateBatch(_ prompts: [String], options: ModelOptions) async throws -> (outputs: [String], usage: TokenUsage) {
        try await inner.generateBatch(prompts, options: options)
    }
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<StreamChunk, any Error> { inner.stream(request) }
}

final class SeenBox: Sendable {
    private let value = Locked<Double?>(nil)
    func set(_ v: Double?) { value.withLock { $0 = v } }
    var current: Double? { value.withLock { $0 } }
}
