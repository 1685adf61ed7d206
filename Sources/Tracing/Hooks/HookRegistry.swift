import Atomics
import Dispatch
import OTLPExport
import Synchronization

/// The plugins subscribed to hooks, and the dispatcher that runs them.
///
/// "Does anyone listen?" is one relaxed atomic load of a bit mask, so an unsubscribed hook costs
/// a nanosecond. Dispatch reads an immutable snapshot of the registrations (no lock). A plugin
/// that throws is reported once and skipped; only an opening hook can be refused, with
/// ``HookRefusal``. On closing hooks, span-closing plugins run before every other plugin, so no
/// plugin can keep a span open.
public final class HookRegistry: Sendable {
    /// The process-wide registry the generative core fires into.
    public static let shared = HookRegistry()

    struct Registration: Sendable {
        let plugin: any Plugin
        let sessionID: String?
        let order: Int
    }

    /// The registrations, and per hook the plugins in the order they run (sorted once, at
    /// registration, not at every fire).
    final class Snapshot: AtomicReference, Sendable {
        let registrations: [Registration]
        let byHook: [[Registration]]

        init(_ registrations: [Registration]) {
            self.registrations = registrations
            byHook = HookType.allCases.map { hook in
                registrations.filter { $0.plugin.hooks.contains(hook) }.sorted { a, b in
                    if hook.isClosing, a.plugin.closesSpans != b.plugin.closesSpans { return a.plugin.closesSpans }
                    return (a.plugin.priority, a.order) < (b.plugin.priority, b.order)
                }
            }
        }
    }

    @usableFromInline let mask = ManagedAtomic<UInt64>(0)
    private let snapshot = ManagedAtomic<Snapshot>(Snapshot([]))
    private let writer = Locked<Int>(0)
    private let observers = DispatchQueue(label: "mellea-tracing.hook-observers")
    private let observerBacklog = ManagedAtomic<Int>(0)
    static let maxObserverBacklog = 10_000
    /// Where failures of plugins are reported.
    public let diagnostics: Diagnostics

    /// Creates an empty registry.
    public init(diagnostics: Diagnostics = .standardError) { self.diagnostics = diagnostics }

    /// Whether any plugin listens to `hook`: one atomic load.
    @inlinable
    public func isListening(_ hook: HookType) -> Bool {
        mask.load(ordering: .relaxed) & hook.bit != 0
    }

    /// Whether any plugin listens to any of `hooks` (a mask of ``HookType/bit``s): one atomic load.
    @inlinable
    public func isListening(toAnyOf hooks: UInt64) -> Bool {
        mask.load(ordering: .relaxed) & hooks != 0
    }

    /// Subscribes `plugin` globally, or only for the session `sessionID`.
    public func register(_ plugin: any Plugin, sessionID: String? = nil) {
        update { registrations, order in
            registrations.append(Registration(plugin: plugin, sessionID: sessionID, order: order))
        }
    }

    /// Removes `plugin` (every registration of it).
    public func unregister(_ plugin: any Plugin) {
        update { registrations, _ in registrations.removeAll { $0.plugin === plugin } }
    }

    /// Removes every plugin scoped to `sessionID`.
    public func unregisterSession(_ sessionID: String) {
        update { registrations, _ in registrations.removeAll { $0.sessionID == sessionID } }
    }

    /// Removes every plugin.
    public func removeAll() { update { registrations, _ in registrations.removeAll() } }

    /// The plugins currently registered.
    public var plugins: [any Plugin] { snapshot.load(ordering: .acquiring).registrations.map(\.plugin) }

    private func update(_ change: (inout [Registration], Int) -> Void) {
        writer.withLock { counter in
            counter += 1
            var registrations = snapshot.load(ordering: .acquiring).registrations
            change(&registrations, counter)
            let bits = registrations.reduce(UInt64(0)) { bits, registration in
                registration.plugin.hooks.reduce(bits) { $0 | $1.bit }
            }
            snapshot.store(Snapshot(registrations), ordering: .releasing)
            mask.store(bits, ordering: .releasing)
        }
    }

    /// Runs the plugins of `P.hook` over `payload`: sequential ones in order (they may change its
    /// writable fields), then fire-and-forget ones, each with a snapshot, on the observers' queue.
    ///
    /// - Throws: ``PluginRefusedError`` when a sequential plugin refuses an opening hook.
    public func fire<P: HookPayload>(_ payload: inout P) throws {
        guard isListening(P.hook) else { return }
        let hook = P.hook
        let sessionID = payload.sessionID
        // The hook's registrations, already in order; filtered as they are visited, not copied.
        let registrations = snapshot.load(ordering: .acquiring).byHook[hook.rawValue]
        func applies(_ registration: Registration, _ mode: PluginMode) -> Bool {
            registration.plugin.mode == mode && (registration.sessionID == nil || registration.sessionID == sessionID)
        }
        for registration in registrations where applies(registration, .sequential) {
            do {
                try P.deliver(&payload, to: registration.plugin)
            } catch let refusal as HookRefusal where hook.isOpening {
                throw PluginRefusedError(plugin: registration.plugin.name, hook: hook, reason: refusal.reason)
            } catch {
                diagnostics.reportOnce(key: "plugin-error-\(registration.plugin.name)-\(hook)", .warning,
                    "plugin '\(registration.plugin.name)' failed at \(hook) with \(type(of: error)); it was skipped for this call")
            }
        }
        let snapshotPayload = payload
        for registration in registrations where applies(registration, .fireAndForget) {
            let plugin = registration.plugin
            // Observers run on their own serial queue, never on Swift's cooperative pool: one that
            // blocks delays only other observers, and its backlog is bounded.
            guard observerBacklog.loadThenWrappingIncrement(ordering: .relaxed) < Self.maxObserverBacklog else {
                observerBacklog.wrappingDecrement(ordering: .relaxed)
                diagnostics.reportOnce(key: "observer-backlog", .warning,
                    "fire-and-forget plugins are \(Self.maxObserverBacklog) events behind: further events are skipped for them")
                continue
            }
            observers.async { [diagnostics, observerBacklog] in
                defer { observerBacklog.wrappingDecrement(ordering: .relaxed) }
                var copy = snapshotPayload
                do { try P.deliver(&copy, to: plugin) } catch {
                    diagnostics.reportOnce(key: "plugin-error-\(plugin.name)-\(hook)", .warning,
                        "plugin '\(plugin.name)' failed at \(hook) with \(type(of: error))")
                }
            }
        }
    }

    /// Fires a closing hook: never throws; every plugin runs whatever the others do.
    public func fireClosing<P: HookPayload>(_ payload: P) {
        var payload = payload
        try? fire(&payload)
    }
}
