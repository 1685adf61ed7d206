import OTLPExport
import Dispatch
import Foundation
import Synchronization
import Tracing

/// A conversation with one back end: its id is the `gen_ai.conversation.id` of every span in it,
/// and it keeps the message history.
///
/// Create one with ``start(backend:systemPrompt:registry:)`` and end it with ``close(error:)``;
/// every entry point exists in async form and in a blocking form for synchronous callers, which
/// carries the caller's current span into the async work.
public final class Session: Sendable {
    /// The session id (`gen_ai.conversation.id`).
    public let id: String
    /// The back end.
    public let backend: any Backend
    private let core: GenerativeCore
    /// The registry this session fires into.
    public var registry: HookRegistry { core.registry }
    /// The context the session's work runs in (the `session` span when tracing is on).
    public let context: InstrumentationContext
    private let state: Locked<SessionState>
    /// Tool-calling rounds per model turn at most; then the model must answer without tools.
    public let maxToolRounds: Int

    private init(id: String, backend: any Backend, core: GenerativeCore, context: InstrumentationContext,
                 history: [ChatMessage], tools: [Tool], maxToolRounds: Int) {
        self.id = id
        self.backend = backend
        self.core = core
        self.context = context
        self.maxToolRounds = maxToolRounds
        state = Locked(SessionState(history: history, tools: tools))
    }

    /// Starts a session, firing the session start-up hooks.
    /// - Parameters:
    ///   - tools: Tools offered to the model on every action; the session runs the calls it makes.
    ///   - maxToolRounds: Tool-calling rounds per turn at most (then the model must answer).
    ///   - name: The session's name, recorded as `gen_ai.agent.name` (the span is `invoke_agent {name}`).
    public static func start(backend: any Backend, systemPrompt: String? = nil, modelOptions: ModelOptions = ModelOptions(),
                             tools: [Tool] = [], maxToolRounds: Int = 8, name: String = "session",
                             registry: HookRegistry = .shared) throws -> Session {
        let id = UUID().uuidString.lowercased()
        var context = InstrumentationContext.current ?? .topLevel
        if registry.isListening(.sessionPreInit) {
            var pre = SessionPreInitPayload(sessionID: id, backendName: String(describing: type(of: backend)),
                                            modelID: backend.modelID, modelOptions: modelOptions, context: context,
                                            name: name, provider: backend.provider)
            do { try registry.fire(&pre) } catch {
                registry.fireClosing(SessionCleanupPayload(sessionID: id, interactionCount: 0, errorType: errorType(error)))
                throw error
            }
            context = pre.context
        }
        if registry.isListening(.sessionPostInit) {
            var post = SessionPostInitPayload(sessionID: id, modelID: backend.modelID, provider: backend.provider,
                                              context: InstrumentationContext.current ?? .topLevel)
            try? registry.fire(&post)
            context = post.context
        }
        return Session(id: id, backend: backend, core: GenerativeCore(registry: registry), context: context,
                       history: systemPrompt.map { [.system($0)] } ?? [], tools: tools, maxToolRounds: max(0, maxToolRounds))
    }

    /// Runs `body` in a new session and closes it afterwards (recording the error, if any).
    public static func with<T: Sendable>(backend: any Backend, systemPrompt: String? = nil, tools: [Tool] = [],
                                         registry: HookRegistry = .shared,
                                         _ body: (Session) async throws -> T) async throws -> T {
        let session = try start(backend: backend, systemPrompt: systemPrompt, tools: tools, registry: registry)
        do {
            let result = try await body(session)
            session.close()
            return result
        } catch {
            session.close(error: error)
            throw error
        }
    }

    /// The conversation so far.
    public var history: [ChatMessage] { state.withLock { $0.history } }

    /// The tools offered to the model.
    public var tools: [Tool] { state.withLock { $0.tools } }

    /// Offers `tool` to the model from the next action on (replacing a tool of the same name).
    public func register(_ tool: Tool) {
        state.withLock { state in
            state.tools.removeAll { $0.definition.name == tool.definition.name }
            state.tools.append(tool)
        }
    }

    /// Runs a component: the `action` hooks around its turn (tool calls included) and, when it has
    /// requirements, the sampling loop that retries until they are met (by default rejection
    /// sampling with repair, two attempts).
    public func act(_ component: Component, options: ModelOptions = ModelOptions(),
                    strategy: SamplingStrategy = .rejection()) async throws -> ActionResult {
        try await InstrumentationContext.$current.withValue(callerContext()) {
            try await runComponent(component, options: options, strategy: strategy)
        }
    }

    /// Runs an instruction, retried by `strategy` until `requirements` are met.
    public func instruct(_ text: String, requirements: [Requirement] = [], format: OutputFormat = .text,
                         options: ModelOptions = ModelOptions(),
                         strategy: SamplingStrategy = .rejection()) async throws -> ActionResult {
        try await act(.instruction(text, requirements: requirements, format: format), options: options, strategy: strategy)
    }

    /// One chat turn.
    public func chat(_ text: String, options: ModelOptions = ModelOptions()) async throws -> ActionResult {
        try await act(Component(type: "Message", text: text), options: options)
    }

    /// Blocking ``act(_:options:strategy:)`` for synchronous code. Do not call it from an async context.
    public func actBlocking(_ component: Component, options: ModelOptions = ModelOptions(),
                            strategy: SamplingStrategy = .rejection()) throws -> ActionResult {
        try runBlocking { try await self.act(component, options: options, strategy: strategy) }
    }

    /// Blocking ``instruct(_:requirements:format:options:strategy:)``.
    public func instructBlocking(_ text: String, requirements: [Requirement] = [], options: ModelOptions = ModelOptions(),
                                 strategy: SamplingStrategy = .rejection()) throws -> ActionResult {
        try runBlocking { try await self.instruct(text, requirements: requirements, options: options, strategy: strategy) }
    }

    /// Blocking ``chat(_:options:)``.
    public func chatBlocking(_ text: String, options: ModelOptions = ModelOptions()) throws -> ActionResult {
        try runBlocking { try await self.chat(text, options: options) }
    }

    /// Raw completions of several prompts, outside the conversation history.
    public func generateBatch(_ prompts: [String], options: ModelOptions = ModelOptions()) async throws -> [String] {
        try await InstrumentationContext.$current.withValue(callerContext()) {
            try await core.generateBatch(backend, prompts, options: options, sessionID: id)
        }
    }

    /// Runs a tool call with its hooks.
    public func invokeTool(_ call: ToolCall, description: String = "",
                           _ tool: @Sendable (ToolCall) async throws -> String) async throws -> String {
        try await InstrumentationContext.$current.withValue(callerContext()) {
            try await core.invokeTool(call, description: description, sessionID: id, tool)
        }
    }

    /// Adds a completed streamed exchange to the history.
    func record(user: String, reply: GenerationResult) {
        state.withLock { state in
            state.history.append(.user(user))
            state.history.append(.assistant(reply.text))
            state.interactions += 1
            state.usage = state.usage + reply.metadata.usage
            state.finishReasons = reply.metadata.finishReasons
        }
    }

    /// Clears the history, firing `session_reset`.
    public func reset() {
        let previous = state.withLock { state -> Int in
            defer { state.history.removeAll { $0.role != "system" } }
            return state.history.count
        }
        core.registry.fireClosing(SessionResetPayload(sessionID: id, previousMessageCount: previous))
    }

    /// A session dropped without ``close(error:)`` still ends its span, as abandoned.
    deinit {
        let open = state.withLock { !$0.closed }
        if open {
            core.registry.fireClosing(SessionCleanupPayload(sessionID: id, interactionCount: 0, errorType: "abandoned"))
            core.registry.unregisterSession(id)
        }
    }

    /// Ends the session, firing `session_cleanup` once. Later calls on the session throw
    /// ``SessionClosedError``.
    public func close(error: (any Error)? = nil) {
        let (first, ended) = state.withLock { state -> (Bool, SessionState) in
            defer { state.closed = true }
            return (!state.closed, state)
        }
        guard first else { return }
        core.registry.fireClosing(SessionCleanupPayload(sessionID: id, interactionCount: ended.interactions,
                                                        errorType: error.map(errorType), history: ended.history,
                                                        usage: ended.usage, finishReasons: ended.finishReasons))
        core.registry.unregisterSession(id)
    }

    /// The caller's own span when it has one inside this session's trace, else the session's context.
    func callerContext() -> InstrumentationContext {
        if let current = InstrumentationContext.current, current.spanContext != nil { return current }
        return context
    }

    private func runComponent(_ component: Component, options: ModelOptions, strategy: SamplingStrategy) async throws -> ActionResult {
        // Work after close would hang under the ended session span.
        if state.withLock({ $0.closed }) { throw SessionClosedError(sessionID: id) }
        let registry = core.registry
        let listening = registry.isListening(toAnyOf: HookType.componentHooks)
        let actionID = listening ? UUID().uuidString : ""
        let (history, sessionTools) = state.withLock { ($0.history, $0.tools) }
        let offered = sessionTools.filter { tool in !component.tools.contains { $0.definition.name == tool.definition.name } }
            + component.tools
        var pre = ComponentPreExecutePayload(
            sessionID: id, actionID: actionID, componentType: component.type,
            requirements: component.requirements.map(\.description), modelOptions: options, format: component.format,
            toolCallsEnabled: !offered.isEmpty, context: InstrumentationContext.current ?? context, text: component.text)
        let start = ContinuousClock.now
        if listening {
            do { try registry.fire(&pre) } catch {
                fireComponentError(error, actionID: actionID, component: component)
                throw error
            }
        }
        let tools = pre.toolCallsEnabled ? offered : []
        let request = GenerationRequest(messages: history + [.user(component.text)], options: pre.modelOptions,
                                        format: pre.format, tools: tools.map(\.definition))
        do {
            let (action, added) = try await InstrumentationContext.$current.withValue(pre.context) {
                () async throws -> (ActionResult, [ChatMessage]) in
                if component.requirements.isEmpty {
                    let turn = try await core.runTurn(backend, request, tools: tools, maxToolRounds: maxToolRounds,
                                                      sessionID: id, actionID: listening ? actionID : nil)
                    return (ActionResult(generation: turn.result, requirementsMet: true, validation: [], attempts: 1,
                                         generations: turn.generations, usage: turn.usage), turn.messages)
                }
                let (attempt, attempts, spent) = try await core.sample(
                    backend, request, requirements: component.requirements, strategy: strategy, tools: tools,
                    maxToolRounds: maxToolRounds, sessionID: id, actionID: listening ? actionID : nil)
                let result = ActionResult(generation: attempt.turn.result, requirementsMet: attempt.passed,
                                          validation: attempt.validation, attempts: attempts,
                                          generations: spent.generations, usage: spent.usage)
                if !attempt.passed, strategy.onExhaustion == .throwError {
                    throw SamplingBudgetExhaustedError(attempts: attempts, bestAttempt: result)
                }
                return (result, attempt.turn.messages)
            }
            // The history keeps what the user asked (not a repair prompt) and the returned turn.
            state.withLock { state in
                state.history.append(.user(component.text))
                state.history.append(contentsOf: added)
                state.interactions += 1
                state.usage = state.usage + action.usage
                state.finishReasons = action.generation.metadata.finishReasons
            }
            if listening {
                registry.fireClosing(ComponentPostSuccessPayload(
                    sessionID: id, actionID: actionID, componentType: component.type, result: action.generation,
                    generationCount: action.generations, latencyMilliseconds: milliseconds(since: start),
                    requirementsMet: component.requirements.isEmpty ? nil : action.requirementsMet))
            }
            return action
        } catch {
            if listening { fireComponentError(error, actionID: actionID, component: component) }
            throw error
        }
    }

    private func fireComponentError(_ error: any Error, actionID: String, component: Component) {
        core.registry.fireClosing(ComponentPostErrorPayload(
            sessionID: id, actionID: actionID, componentType: component.type, errorType: errorType(error),
            errorDescription: String(describing: error), cancelled: isCancellation(error)))
    }
}

/// What a session keeps between calls.
struct SessionState {
    var history: [ChatMessage]
    var interactions = 0
    var closed = false
    var tools: [Tool]
    /// Every model call's usage, summed.
    var usage = TokenUsage()
    /// The last answer's finish reasons.
    var finishReasons: [String] = []

    init(history: [ChatMessage], tools: [Tool]) {
        self.history = history
        self.tools = tools
    }
}

/// A session was used after ``Session/close(error:)``.
public struct SessionClosedError: Error, Sendable, CustomStringConvertible {
    /// The closed session.
    public let sessionID: String
    public var description: String { "session \(sessionID) is closed: start a new session" }
}

/// Runs async work from synchronous code and waits for it, carrying the caller's
/// instrumentation context (its current span) into the task.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let context = InstrumentationContext.current
    let done = DispatchSemaphore(value: 0)
    let box = Locked<Result<T, any Error>?>(nil)
    Task.detached {
        let result: Result<T, any Error>
        do {
            result = .success(try await InstrumentationContext.$current.withValue(context) { try await work() })
        } catch {
            result = .failure(error)
        }
        box.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return try box.withLock { $0! }.get()
}
