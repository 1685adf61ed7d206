/// Receives every span as it ends. `onEnd` is called on the application's thread and must not
/// block; `forceFlush` and `shutdown` return within their timeout.
public protocol SpanProcessor: Sendable {
    /// Takes a finished span.
    func onEnd(_ span: SpanRecord)
    /// Exports everything ended so far; `false` when the timeout ran out first.
    @discardableResult func forceFlush(timeout: Duration) -> Bool
    /// Flushes, then stops; `false` when the timeout ran out first. Later spans are dropped and counted.
    @discardableResult func shutdown(timeout: Duration) -> Bool
}
