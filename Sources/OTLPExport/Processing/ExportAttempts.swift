/// What one export has tried so far, written by the exporter as it goes.
///
/// The processor gives every export its own (as a task-local), so that when it gives up on an
/// export — past `OTEL_BSP_EXPORT_TIMEOUT` or the shutdown deadline — it can still report how
/// many attempts were made and how the last one failed, instead of counting them as none.
/// Exporters outside this module need not know about it: they simply record nothing.
final class ExportAttempts: Sendable {
    /// The attempts of the export running in this task, if a processor is watching it.
    @TaskLocal static var current: ExportAttempts?

    private let state = Locked<(attempts: Int, lastFailure: ExportFailure?)>((0, nil))

    /// Records that an attempt starts (so that one cut short still counts).
    func begin() { state.withLock { $0.attempts += 1 } }

    /// Records how the attempt just made failed.
    func fail(_ failure: ExportFailure) { state.withLock { $0.lastFailure = failure } }

    /// Attempts started so far.
    var attempts: Int { state.withLock { $0.attempts } }

    /// How the last failed attempt failed.
    var lastFailure: ExportFailure? { state.withLock { $0.lastFailure } }
}
