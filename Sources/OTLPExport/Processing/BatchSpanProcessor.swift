import Atomics
import Dispatch
import Foundation
import Synchronization

/// Batches finished spans on a lock-free queue and hands them to an exporter from one dedicated
/// thread, following the specification's batch span processor.
///
/// The producer path (`onEnd`) is a few atomic operations: no lock, no allocation, and a wake-up
/// of the export thread only when a full batch is waiting. A full queue drops the span and counts
/// it. Exports run at most ``BatchSpanProcessorConfiguration/maxConcurrentExports`` at a time
/// (by default what the exporter declares: one for most, a few for the pipelining OTLP exporter),
/// each bounded by the export timeout; `forceFlush` and `shutdown` always return within their
/// timeout, also when the collector is unreachable.
public final class BatchSpanProcessor: SpanProcessor {
    /// The settings in use (``BatchSpanProcessorConfiguration/maxConcurrentExports`` resolved).
    public let configuration: BatchSpanProcessorConfiguration
    private let concurrency: Int
    private let exporter: any SpanExporter
    private let diagnostics: Diagnostics
    let queue: SpanQueue  // internal for tests that simulate a producer racing shutdown
    private let counters = ProcessorCounters()
    private let wake = DispatchSemaphore(value: 0)
    private let wakePending = ManagedAtomic<Bool>(false)
    /// `OTEL_BSP_SCHEDULE_DELAY` is 0: every span is exported as soon as it can be, so producers
    /// wake an idle export thread for any span, not only for a full batch.
    private let exportsAtOnce: Bool
    /// Turns of the export loop (for tests: an idle processor must not poll).
    let exportLoopTurns = ManagedAtomic<Int>(0)
    private let isShutDown = ManagedAtomic<Bool>(false)
    private let firstDropReported = ManagedAtomic<Bool>(false)
    private let lateSpans = ManagedAtomic<Int>(0)
    /// Set once the export thread has drained for shutdown and stopped; stored under `control`'s
    /// lock, so that a flush waiter is either added before it (and completed) or refused after it.
    private let exportThreadFinished = ManagedAtomic<Bool>(false)
    /// Set when the shutdown drain delivered everything, abandoning nothing.
    private let drainCompleted = ManagedAtomic<Bool>(false)
    private let totalsReported = ManagedAtomic<Bool>(false)

    /// A `forceFlush` call waiting for the spans ended before it.
    private final class FlushWaiter: Sendable {
        let target: Int
        let undeliveredBefore: Int
        let done = DispatchSemaphore(value: 0)
        /// Set before `done` is signalled.
        let succeeded = ManagedAtomic<Bool>(false)
        init(target: Int, undeliveredBefore: Int) {
            self.target = target
            self.undeliveredBefore = undeliveredBefore
        }
    }
    private let inFlight: ExportsInFlight
    private let finished = DispatchSemaphore(value: 0)
    private let control = Locked<ControlState>(ControlState())

    private struct ControlState {
        var flushWaiters: [FlushWaiter] = []
        /// When the export thread stops draining (a margin before the caller's deadline).
        var shutdownDeadline: ContinuousClock.Instant?
        /// When the exporter's own shutdown must be over.
        var exporterShutdownDeadline: ContinuousClock.Instant?
        /// The timeout `shutdown` was given, and when it was called (for the reports).
        var shutdownTimeout: Duration?
        var shutdownStart: ContinuousClock.Instant?
        /// Exports abandoned because the shutdown deadline ran out.
        var abandonedAtShutdown = 0
    }

    /// Creates the processor and starts its export thread.
    public init(exporter: any SpanExporter,
                configuration: BatchSpanProcessorConfiguration = .fromEnvironment(),
                diagnostics: Diagnostics = .standardError) {
        var configuration = configuration
        concurrency = min(64, max(1, configuration.maxConcurrentExports ?? exporter.concurrentExports))
        configuration.maxConcurrentExports = concurrency
        // Explicit configuration is bounded like the environment's: a huge queue would reserve
        // its whole ring up front, an empty one or an empty batch could never export.
        configuration.maxQueueSize = BatchSpanProcessorConfiguration.boundedQueueSize(
            configuration.maxQueueSize, source: "maxQueueSize", diagnostics: diagnostics)
        configuration.maxExportBatchSize = min(max(configuration.maxExportBatchSize, 1), configuration.maxQueueSize)
        self.configuration = configuration
        exportsAtOnce = configuration.scheduleDelay <= .zero
        self.exporter = exporter
        self.diagnostics = diagnostics
        queue = SpanQueue(capacity: configuration.maxQueueSize)
        inFlight = ExportsInFlight(slots: concurrency, counters: counters)
        let thread = Thread { [self] in runExportLoop() }
        thread.name = "mellea-tracing.batch-export"
        thread.start()
    }

    // MARK: - Producer path

    @inline(__always)
    public func onEnd(_ span: SpanRecord) {
        guard !isShutDown.load(ordering: .relaxed) else {
            lateSpans.wrappingIncrement(ordering: .relaxed)  // reported as dropped at shutdown
            return
        }
        guard let position = queue.push(span) else {
            counters.droppedQueueFull.wrappingIncrement(ordering: .relaxed)
            reportFirstDrop()
            return
        }
        // Wake the exporter once per full batch (or, with no schedule delay, once per idle spell),
        // never per span.
        if exportsAtOnce || (position &+ 1 &- queue.totalPopped) >= configuration.maxExportBatchSize,
           !wakePending.load(ordering: .sequentiallyConsistent),
           !wakePending.exchange(true, ordering: .sequentiallyConsistent) {
            wake.signal()
        }
    }

    private func reportFirstDrop() {
        guard !firstDropReported.load(ordering: .relaxed),
              !firstDropReported.exchange(true, ordering: .relaxed) else { return }
        diagnostics.report(.warning,
            "the span queue is full (OTEL_BSP_MAX_QUEUE_SIZE=\(configuration.maxQueueSize)): spans are being dropped; "
            + "every drop is counted and the totals are reported at shutdown")
    }

    // MARK: - Statistics

    /// A snapshot of what became of every span so far.
    public var statistics: ProcessorStatistics {
        var queued = queue.count
        let fullDrops = counters.droppedQueueFull.load(ordering: .relaxed)
        let late = lateSpans.load(ordering: .relaxed)
        var shutdownDrops = counters.droppedAtShutdown.load(ordering: .relaxed) + late
        if exportThreadFinished.load(ordering: .acquiring) {
            // A span whose producer passed the shutdown check just before shutdown began can land
            // in the queue after the final drain: it will never be exported.
            shutdownDrops += queued
            queued = 0
        }
        return ProcessorStatistics(
            produced: queue.totalPushed + fullDrops + late,
            exported: counters.exported.load(ordering: .relaxed),
            rejected: counters.rejected.load(ordering: .relaxed),
            droppedQueueFull: fullDrops,
            droppedExportFailed: counters.droppedExportFailed.load(ordering: .relaxed),
            droppedAtShutdown: shutdownDrops,
            retries: counters.retries.load(ordering: .relaxed),
            queued: queued,
            inFlight: counters.inFlight.load(ordering: .relaxed),
            lastFailure: counters.lastFailure.withLock { $0 })
    }

    // MARK: - Flush and shutdown

    /// Spans handed to the exporter that did not get through (spans ended after shutdown are
    /// counted apart, in `lateSpans`): a flush or a shutdown succeeded only if this did not grow.
    private var undelivered: Int { counters.undelivered }

    /// Exports every span ended before the call; `true` only if all of them were delivered
    /// within `timeout` (conservatively: no export failed meanwhile).
    @discardableResult
    public func forceFlush(timeout: Duration) -> Bool {
        let waiter = FlushWaiter(target: queue.totalPushed, undeliveredBefore: undelivered)
        let accepted = control.withLock { state -> Bool in
            guard !exportThreadFinished.load(ordering: .acquiring) else { return false }
            state.flushWaiters.append(waiter)
            return true
        }
        guard accepted else { return queue.count == 0 && drainCompleted.load(ordering: .acquiring) }
        wake.signal()
        guard waiter.done.wait(timeout: dispatchTime(after: timeout)) == .success else {
            control.withLock { $0.flushWaiters.removeAll { $0 === waiter } }
            return false
        }
        return waiter.succeeded.load(ordering: .acquiring)
    }

    /// Exports what is queued and stops; `true` when every span was delivered in time.
    ///
    /// The export thread drains until a tenth of the budget (at most 500 ms) before the deadline,
    /// then cancels the exports still in flight, counts every span that did not make it, and shuts
    /// the exporter down with half of that margin: the statistics are final when this returns.
    @discardableResult
    public func shutdown(timeout: Duration) -> Bool {
        let timeout = max(timeout, .zero)
        let deadline = ContinuousClock.now + timeout
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else {
            return waitForExportThread(until: deadline) && drainCompleted.load(ordering: .acquiring)
        }
        let margin = min(timeout / 10, .milliseconds(500))
        control.withLock {
            $0.shutdownDeadline = deadline - margin
            $0.exporterShutdownDeadline = deadline - margin / 2
            $0.shutdownTimeout = timeout
            $0.shutdownStart = deadline - timeout
        }
        wake.signal()
        if waitForExportThread(until: deadline) { return drainCompleted.load(ordering: .acquiring) }
        // Only an exporter that blocks the export executor can keep the thread from finishing.
        reportTotals(timedOut: true)
        return false
    }

    /// Waits for the export thread to finish; every later caller sees it finished too.
    private func waitForExportThread(until deadline: ContinuousClock.Instant) -> Bool {
        guard finished.wait(timeout: dispatchTime(after: deadline - .now)) == .success else { return false }
        finished.signal()
        return true
    }

    // MARK: - Export thread

    private func runExportLoop() {
        var nextScheduledExport = ContinuousClock.now + configuration.scheduleDelay
        while true {
            exportLoopTurns.wrappingIncrement(ordering: .relaxed)
            let (shutdownDeadline, flushTarget) = control.withLock { state in
                (state.shutdownDeadline, state.flushWaiters.map(\.target).min())
            }
            if let shutdownDeadline {
                let (leftOver, timedOut) = drainForShutdown(deadline: shutdownDeadline)
                control.withLock { _ in exportThreadFinished.store(true, ordering: .releasing) }
                // Before the signal, so the totals are on record when shutdown returns.
                reportTotals(timedOut: timedOut)
                completeFlushWaiters()
                finished.signal()
                // After it: releasing a full queue of spans can take a while.
                _ = consume leftOver
                return
            }
            if let flushTarget {
                var progressed = false
                while queue.totalPopped < flushTarget, exportOneBatch() { progressed = true }
                waitForExportsInFlight(until: .now + configuration.exportTimeout, stopAtShutdown: true)
                completeFlushWaiters()
                // A producer between claiming and filling its slot: give it a moment, do not spin.
                if !progressed && queue.totalPopped < flushTarget { _ = wake.wait(timeout: dispatchTime(after: .milliseconds(1))) }
                continue
            }
            let now = ContinuousClock.now
            if queue.count >= configuration.maxExportBatchSize || now >= nextScheduledExport {
                let exported = queue.count > 0 && exportOneBatch()
                if exported || now >= nextScheduledExport {
                    nextScheduledExport = ContinuousClock.now + configuration.scheduleDelay
                }
                if exported { continue }
            }
            abandonOverdueExports()
            // Producers signal only while this flag is false; re-check the queue after clearing it.
            wakePending.store(false, ordering: .sequentiallyConsistent)
            var pause = queue.count >= configuration.maxExportBatchSize
                ? Duration.milliseconds(1) : max(nextScheduledExport - .now, .milliseconds(1))
            // No schedule delay and nothing queued: the next span wakes this thread (see onEnd).
            if exportsAtOnce && queue.count == 0 { pause = .seconds(1) }
            if !inFlight.isEmpty { pause = min(pause, Self.watchInterval) }
            _ = wake.wait(timeout: dispatchTime(after: pause))
        }
    }

    /// Exports what it can until `deadline`, then abandons the rest. Returns the spans taken off
    /// the queue unexported (already counted; released by the caller after it signalled the
    /// end) and whether the deadline cut the drain short (spans left queued or exports abandoned).
    private func drainForShutdown(deadline: ContinuousClock.Instant) -> (leftOver: [SpanRecord], timedOut: Bool) {
        let undeliveredBefore = undelivered
        while ContinuousClock.now < deadline, queue.count > 0 {
            // No batch: a producer is mid-push or no export slot freed in time; retry until the deadline.
            if !exportOneBatch(deadline: deadline) { usleep(200) }
        }
        waitForExportsInFlight(until: deadline, stopAtShutdown: false)
        for id in inFlight.overdue(at: .now, all: true) { abandon(id, shutdownPassed: true) }
        var leftOver: [SpanRecord] = []
        while let span = queue.pop() { leftOver.append(span) }
        counters.droppedAtShutdown.wrappingIncrement(by: leftOver.count, ordering: .relaxed)
        let complete = undelivered == undeliveredBefore && queue.count == 0
        drainCompleted.store(complete, ordering: .releasing)
        let exporterDeadline = control.withLock { $0.exporterShutdownDeadline } ?? deadline
        let remaining = exporterDeadline - .now
        if remaining > .zero { runBlocking(timeout: remaining) { [exporter] in await exporter.shutdown(timeout: remaining) } }
        let abandoned = control.withLock { $0.abandonedAtShutdown }
        return (leftOver, !leftOver.isEmpty || abandoned > 0)
    }

    /// Takes up to one batch from the queue and starts its export; `false` when there was nothing
    /// to take (or no export slot freed within the budget).
    ///
    /// Every export is bounded by the export timeout (and by the shutdown deadline): waited for
    /// when exports are sequential, watched by this thread when they are pipelined. An export that
    /// overruns is cancelled and its spans are counted as failed. `deadline` is the shutdown
    /// deadline while draining; otherwise a shutdown that begins ends the wait for a slot.
    @discardableResult
    private func exportOneBatch(deadline: ContinuousClock.Instant? = nil) -> Bool {
        guard queue.count > 0 else { return false }
        let budget = deadline.map { min(configuration.exportTimeout, $0 - .now) } ?? configuration.exportTimeout
        let budgetIsShutdown = budget < configuration.exportTimeout
        // Take a slot before popping, so popped spans are always counted as in flight.
        guard wait(for: inFlight.slots, until: .now + budget, stopAtShutdown: deadline == nil) else { return false }
        let giveUpAt = ContinuousClock.now + budget
        var batch: [SpanRecord] = []
        batch.reserveCapacity(min(queue.count, configuration.maxExportBatchSize))
        while batch.count < configuration.maxExportBatchSize, let span = queue.pop() { batch.append(span) }
        guard !batch.isEmpty else {
            inFlight.slots.signal()
            return false
        }
        let done = DispatchSemaphore(value: 0)
        // Registered before the task exists, so the task's own accounting can never come first.
        let (id, attempts) = inFlight.register(count: batch.count, giveUpAt: giveUpAt, giveUpAtShutdown: budgetIsShutdown)
        let task = ExportExecutor.detached { [exporter, inFlight] in
            let result = await ExportAttempts.$current.withValue(attempts) { await exporter.export(batch) }
            inFlight.finish(id, with: result)
            done.signal()
        }
        inFlight.attach(task, to: id)
        if concurrency == 1, !wait(for: done, until: giveUpAt, stopAtShutdown: false) {
            abandon(id, shutdownPassed: control.withLock { $0.shutdownDeadline.map { .now >= $0 } ?? false })
            // Exports never overlap: give the cancelled one a moment to unwind before the next.
            _ = wait(for: done, until: .now + .seconds(1), stopAtShutdown: true)
        }
        return true
    }

    /// How often a waiting export thread looks at the clock: for overdue exports and a shutdown.
    private static let watchInterval = Duration.milliseconds(20)

    /// Waits for `semaphore` until `deadline` in short slices, abandoning overdue exports
    /// meanwhile. Once a shutdown has begun, the wait ends at once with `stopAtShutdown`, and at
    /// the shutdown deadline otherwise. Returns whether the semaphore was taken.
    private func wait(for semaphore: DispatchSemaphore, until deadline: ContinuousClock.Instant,
                      stopAtShutdown: Bool) -> Bool {
        while true {
            var end = deadline
            if let shutdownDeadline = control.withLock({ $0.shutdownDeadline }) {
                if stopAtShutdown { return false }
                end = min(end, shutdownDeadline)
            }
            let now = ContinuousClock.now
            guard now < end else { return false }
            if semaphore.wait(timeout: dispatchTime(after: min(end - now, Self.watchInterval))) == .success { return true }
            abandonOverdueExports()
        }
    }

    /// Abandons every export past its budget, or past the shutdown deadline.
    private func abandonOverdueExports() {
        let now = ContinuousClock.now
        let shutdownPassed = control.withLock { $0.shutdownDeadline.map { now >= $0 } ?? false }
        for id in inFlight.overdue(at: now, all: shutdownPassed) { abandon(id, shutdownPassed: shutdownPassed) }
    }

    /// Gives up on an export that overran its budget (the export timeout, or the shutdown
    /// deadline once `shutdownPassed`): cancels it, counts its spans as failed, and reports which
    /// deadline ran out, after how many attempts, and the last status the collector answered.
    private func abandon(_ id: Int, shutdownPassed: Bool) {
        guard let abandoned = inFlight.abandon(id, at: .now, shutdownPassed: shutdownPassed) else { return }
        let attempts = abandoned.attempts == 0 ? "before its first attempt"
            : "after \(ProcessorStatistics.attempts(abandoned.attempts))"
            + (abandoned.lastFailure.map { ", the last failed with \($0)" } ?? ", none failed yet")
        if abandoned.byShutdown {
            let timeout = control.withLock { state in
                state.abandonedAtShutdown += 1
                return state.shutdownTimeout
            }
            diagnostics.reportOnce(key: "export-overran-shutdown", .warning,
                "an export of \(abandoned.count) spans was still running when the shutdown timeout "
                + "(shutdown(timeout: \(timeout.map { "\($0)" } ?? "?"))) ran out: cancelled \(attempts); its spans are counted as failed")
        } else {
            diagnostics.reportOnce(key: "export-overran", .warning,
                "an export of \(abandoned.count) spans did not finish within OTEL_BSP_EXPORT_TIMEOUT (\(configuration.exportTimeout)): "
                + "cancelled \(attempts); its spans are counted as failed")
        }
    }

    private func waitForExportsInFlight(until deadline: ContinuousClock.Instant, stopAtShutdown: Bool) {
        var acquired = 0
        while acquired < concurrency, wait(for: inFlight.slots, until: deadline, stopAtShutdown: stopAtShutdown) {
            acquired += 1
        }
        for _ in 0..<acquired { inFlight.slots.signal() }
    }

    /// Completes the flushes whose spans have all been exported (or that shutdown ends), each
    /// successful only if nothing failed to be delivered since it began.
    private func completeFlushWaiters() {
        let popped = queue.totalPopped
        let inFlight = counters.inFlight.load(ordering: .relaxed)
        let undelivered = undelivered
        let ready = control.withLock { state -> [FlushWaiter] in
            let finishedThread = exportThreadFinished.load(ordering: .acquiring)
            let split = state.flushWaiters.partition { finishedThread || ($0.target <= popped && inFlight == 0) }
            let ready = Array(state.flushWaiters[split...])
            state.flushWaiters.removeSubrange(split...)
            return ready
        }
        let drainedFully = !exportThreadFinished.load(ordering: .acquiring) || drainCompleted.load(ordering: .acquiring)
        for waiter in ready {
            waiter.succeeded.store(drainedFully && undelivered == waiter.undeliveredBefore && waiter.target <= popped,
                                   ordering: .releasing)
            waiter.done.signal()
        }
    }

    /// Reports the final statistics when anything was lost or the shutdown ran out of time,
    /// saying which: a shutdown that ended early with losses (a partial success, a final status)
    /// does not blame a timeout; the last failure and its attempts come with the counts.
    private func reportTotals(timedOut: Bool) {
        let stats = statistics
        guard stats.dropped > 0 || timedOut, !totalsReported.exchange(true, ordering: .relaxed) else { return }
        let (timeout, start) = control.withLock { ($0.shutdownTimeout, $0.shutdownStart) }
        let took = start.map { " in \(ContinuousClock.now - $0)" } ?? ""
        let why: String
        if timedOut {
            why = "the shutdown timeout (\(timeout.map { "\($0)" } ?? "?")) ran out with spans still queued or in flight"
        } else {
            var parts: [String] = []
            if stats.rejected > 0 { parts.append("\(stats.rejected) rejected by the collector (partial success)") }
            if stats.droppedExportFailed > 0 { parts.append("\(stats.droppedExportFailed) in failed exports") }
            if stats.droppedQueueFull > 0 { parts.append("\(stats.droppedQueueFull) dropped on a full queue (OTEL_BSP_MAX_QUEUE_SIZE)") }
            if stats.droppedAtShutdown > 0 { parts.append("\(stats.droppedAtShutdown) ended after shutdown") }
            why = "spans lost: " + parts.joined(separator: ", ")
        }
        let cause = stats.lastFailure.map { "; last failure: \($0.failure) after \(ProcessorStatistics.attempts($0.attempts))" } ?? ""
        diagnostics.report(stats.dropped > 0 ? .warning : .info, "span processor shut down\(took): \(why)\(cause): \(stats)")
    }
}

/// The dispatch time `duration` from now (now for a negative one, saturating for a huge one).
func dispatchTime(after duration: Duration) -> DispatchTime {
    .now() + .nanoseconds(Int(clamping: max(0, duration.wholeNanoseconds)))
}

/// Runs async work from a plain thread and waits for it at most `timeout`.
func runBlocking(timeout: Duration, _ work: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    ExportExecutor.detached {
        await work()
        done.signal()
    }
    _ = done.wait(timeout: dispatchTime(after: timeout))
}
