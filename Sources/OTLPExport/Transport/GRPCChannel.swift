import CGRPC
import Foundation
import Synchronization

/// Why a channel could not be opened.
public struct ChannelError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public let description: String
}

/// One long-lived gRPC client channel with its completion queue and the thread that polls it.
///
/// Each call is created and started exactly once, by one thread; completions are delivered by the
/// poller thread, which resumes the waiting task. This is what makes the `@unchecked Sendable`
/// sound: the C handles are `let`s, and gRPC documents channels and queues as thread-safe.
final class GRPCChannel: @unchecked Sendable {
    private let channel: OpaquePointer
    private let queue: OpaquePointer
    private let methodName: UnsafeMutablePointer<CChar>
    private let method: UnsafeMutableRawPointer?
    private let poller = DispatchSemaphore(value: 0)
    /// Hides the target's secrets in every message that may echo it (gRPC quotes the target).
    let redaction: SecretRedaction
    /// The identity under which gRPC's log lines are routed (the channel itself cannot be
    /// registered before its initialization completes).
    private let logOwner: LogOwner
    private final class LogOwner: Sendable {}
    private let state = Locked<(closed: Bool, calls: [ObjectIdentifier: PendingCall])>((false, [:]))

    /// Opens a channel (connecting lazily, on the first call).
    /// gRPC core's own log lines go to `diagnostics` while the channel is open.
    init(endpoint: OTLPEndpoint, configuration: OTLPExporterConfiguration, userAgent: String,
         method: String, diagnostics: Diagnostics, reconnectBackoff: Duration = .milliseconds(250),
         maxReconnectBackoff: Duration = .seconds(2)) throws(ChannelError) {
        redaction = SecretRedaction(endpoint: endpoint.target)
        let logOwner = LogOwner()
        self.logOwner = logOwner
        GRPCLogRouting.register(logOwner, diagnostics: diagnostics, redaction: redaction)
        GRPCLibrary.retain()
        var error = [CChar](repeating: 0, count: 256)
        let created: OpaquePointer? = withOptionalCString(configuration.trustedCertificatesPEM) { roots in
            withOptionalCString(configuration.clientKeyPEM) { key in
                withOptionalCString(configuration.clientCertificatePEM) { certificate in
                    endpoint.target.withCString { target in
                        userAgent.withCString { agent in
                            var options = cgrpc_channel_options(
                                target: target, use_tls: endpoint.usesTLS ? 1 : 0,
                                root_certs_pem: roots, client_key_pem: key, client_cert_pem: certificate,
                                gzip: configuration.compression == .gzip ? 1 : 0, user_agent: agent,
                                round_robin: endpoint.isTargetURI ? 1 : 0,
                                max_send_bytes: Int32(clamping: configuration.maxRequestBytes + 64 * 1024),
                                reconnect_backoff_ms: Int32(reconnectBackoff.wholeMilliseconds),
                                max_reconnect_backoff_ms: Int32(maxReconnectBackoff.wholeMilliseconds))
                            return cgrpc_channel_create(&options, &error, error.count)
                        }
                    }
                }
            }
        }
        guard let created else {
            GRPCLibrary.release()
            GRPCLogRouting.unregister(logOwner)
            throw ChannelError(description: redaction.scrub(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }))
        }
        channel = created
        queue = grpc_completion_queue_create_for_next(nil)
        methodName = strdup(method)
        self.method = grpc_channel_register_call(channel, methodName, nil, nil)
        let thread = Thread { [self] in Self.poll(self.queue, done: self.poller) }
        thread.name = "mellea-tracing.grpc-poller"
        thread.start()
    }

    /// Sends one unary request and waits for its status, at most `timeout`. Cancelling the task
    /// cancels the call.
    func unaryCall(_ request: RequestPayload, metadata: [(key: String, value: String)], timeout: Duration) async -> CallOutcome {
        let current = CurrentCall()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let pending = PendingCall(continuation, channel: self)
                current.set(pending)
                // Start and attach under the lock, so `close` never destroys the channel or queue
                // between a call's registration and its start.
                let started = state.withLock { state -> (call: OpaquePointer?, completedEarly: Bool, error: grpc_call_error)? in
                    guard !state.closed else { return nil }
                    let tag = Unmanaged.passRetained(pending).toOpaque()
                    var result = GRPC_CALL_OK
                    let call = withCStrings(metadata.map(\.key)) { keys in
                        withCStrings(metadata.map(\.value)) { values in
                            cgrpc_unary_call_start(channel, queue, method, request.cPayload,
                                                   keys, values, metadata.count,
                                                   max(1, timeout.wholeMilliseconds), 0, tag, &result)
                        }
                    }
                    guard let call else {
                        Unmanaged<PendingCall>.fromOpaque(tag).release()
                        return (nil, false, result)
                    }
                    state.calls[ObjectIdentifier(pending)] = pending
                    return (call, pending.attach(call), result)
                }
                guard let started else {
                    return pending.resume(CallOutcome(code: .unavailable, message: "the exporter is shut down",
                                                      response: nil, statusDetails: nil, retryInfo: nil))
                }
                guard let call = started.call else {
                    return pending.resume(CallOutcome(code: .internal,
                                                      message: "gRPC refused to start the call (grpc_call_error \(started.error.rawValue))",
                                                      response: nil, statusDetails: nil, retryInfo: nil))
                }
                if started.completedEarly { pending.finish(call) }
                if Task.isCancelled { pending.cancel() }
            }
        } onCancel: {
            current.get()?.cancel()
        }
    }

    /// Cancels every call in flight; each still completes (with CANCELLED) through the queue.
    func cancelAll() {
        let calls = state.withLock { Array($0.calls.values) }
        for call in calls { call.cancel() }
    }

    /// Cancels calls in flight, destroys the channel and queue, and stops the poller thread.
    /// Waits at most `timeout` for the poller; returns whether teardown completed.
    @discardableResult
    func close(timeout: Duration) -> Bool {
        let first = state.withLock { state -> Bool in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return true }
        cancelAll()
        grpc_channel_destroy(channel)
        grpc_completion_queue_shutdown(queue)
        let deadline = ContinuousClock.now + timeout
        var finished = poller.wait(timeout: dispatchTime(after: timeout)) == .success
        // A call whose completion raced its start is finished by the starting thread: wait for it.
        while finished && state.withLock({ !$0.calls.isEmpty }) {
            if ContinuousClock.now >= deadline { finished = false; break }
            usleep(500)
        }
        if finished {
            grpc_completion_queue_destroy(queue)
            free(methodName)
            GRPCLibrary.release()
        }
        GRPCLogRouting.unregister(logOwner)
        return finished
    }

    fileprivate func forget(_ call: PendingCall) {
        state.withLock { _ = $0.calls.removeValue(forKey: ObjectIdentifier(call)) }
    }

    private static func poll(_ queue: OpaquePointer, done: DispatchSemaphore) {
        while true {
            let event = grpc_completion_queue_next(queue, gpr_inf_future(GPR_CLOCK_REALTIME), nil)
            if event.type == GRPC_QUEUE_SHUTDOWN { break }
            guard event.type == GRPC_OP_COMPLETE, let tag = event.tag else { continue }
            let pending = Unmanaged<PendingCall>.fromOpaque(tag).takeRetainedValue()
            pending.complete()
        }
        done.signal()
    }
}

/// A started call and the task waiting for it.
private final class PendingCall: @unchecked Sendable {
    private let lock = Locked<(call: CallHandle?, continuation: CheckedContinuation<CallOutcome, Never>?, done: Bool)>((nil, nil, false))
    private weak let channel: GRPCChannel?
    private let redaction: SecretRedaction

    init(_ continuation: CheckedContinuation<CallOutcome, Never>, channel: GRPCChannel) {
        self.channel = channel
        redaction = channel.redaction
        lock.withLock { $0.continuation = continuation }
    }

    /// Records the started call; returns `true` when its completion already arrived, in which
    /// case the caller must call `finish` (outside any channel lock).
    func attach(_ call: OpaquePointer) -> Bool {
        lock.withLock { state -> Bool in
            state.call = CallHandle(pointer: call)
            return state.done
        }
    }

    func cancel() {
        lock.withLock { state in
            if let call = state.call, !state.done { cgrpc_unary_call_cancel(call.pointer) }
        }
    }

    func resume(_ outcome: CallOutcome) {
        let continuation = lock.withLock { state -> CheckedContinuation<CallOutcome, Never>? in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: outcome)
    }

    /// Called by the poller when the call's batch completes.
    func complete() {
        let handle = lock.withLock { state -> CallHandle? in
            state.done = true
            return state.call
        }
        // Without a handle, the starting thread has not attached it yet; `attach` finishes.
        if let call = handle?.pointer { finish(call) }
    }

    /// Reads the outcome, releases the C call, and resumes the waiting task.
    func finish(_ call: OpaquePointer) {
        let code = GRPCStatusCode(rawValue: Int32(cgrpc_unary_call_status(call).rawValue)) ?? .unknown
        let message = redaction.scrub(String(cString: cgrpc_unary_call_details(call)))
        let outcome = CallOutcome(code: code, message: message,
                                  response: Self.copy { cgrpc_unary_call_response(call, &$0) },
                                  statusDetails: Self.copy { cgrpc_unary_call_trailer(call, "grpc-status-details-bin", &$0) },
                                  retryInfo: Self.copy { cgrpc_unary_call_trailer(call, "google.rpc.retryinfo-bin", &$0) })
        cgrpc_unary_call_destroy(call)
        channel?.forget(self)
        resume(outcome)
    }

    private static func copy(_ read: (inout Int) -> UnsafePointer<UInt8>?) -> [UInt8]? {
        var length = 0
        guard let bytes = read(&length) else { return nil }
        return Array(UnsafeBufferPointer(start: bytes, count: length))
    }
}

/// The call of the task that is waiting, for its cancellation handler.
private final class CurrentCall: Sendable {
    private let call = Locked<PendingCall?>(nil)
    func set(_ pending: PendingCall) { call.withLock { $0 = pending } }
    func get() -> PendingCall? { call.withLock { $0 } }
}

/// A C call handle; only the thread that completes the call frees it.
private struct CallHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return copies.map { UnsafePointer($0) }.withUnsafeBufferPointer { body($0.baseAddress) }
}
