import Foundation
import MelleaTracing
import OTLPExport
import Tracing

/// The chat span of WORKLOAD.md: 10 attributes, one event, child of a long-lived "action" span,
/// made through the span API the tracing plugins use (``TracerCore`` and ``SpanBuilder``).
struct ChatSpanWorkload: Sendable {
    let conversationID = "5f0c6e52-3f0e-4c8e-9a51-0d2c1b7a9e11"

    func parent(_ core: TracerCore) -> SpanContext {
        let action = core.startSpan("action", parent: nil)
        return action.context
    }

    @inline(__always)
    func chatSpan(_ index: Int, core: TracerCore, parent: SpanContext) {
        let span = core.startSpan("chat granite-3.3-8b", kind: .client, parent: parent)
        span.appendAttribute("gen_ai.operation.name", "chat")
        span.appendAttribute("gen_ai.provider.name", "openai")
        span.appendAttribute("gen_ai.request.model", "granite-3.3-8b")
        span.appendAttribute("gen_ai.request.temperature", .double(0.7))
        span.appendAttribute("gen_ai.request.max_tokens", .int(512))
        span.appendAttribute("gen_ai.response.id", .string(responseID(index)))
        span.appendAttribute("gen_ai.response.finish_reasons", .stringArray(["stop"]))
        span.appendAttribute("gen_ai.usage.input_tokens", .int(123))
        span.appendAttribute("gen_ai.usage.output_tokens", .int(456))
        span.appendAttribute("gen_ai.conversation.id", .string(conversationID))
        span.addEvent("gen_ai.content.first_token", attributes: [Attribute("gen_ai.server.time_to_first_token", .double(0.042))])
        span.end()
    }

    /// The same span through apple/swift-distributed-tracing's generic API on the library's tracer.
    @inline(__always)
    func chatSpanDT(_ index: Int, tracer: MelleaTracer, parent: InstrumentationContext) {
        let span = tracer.startSpan("chat granite-3.3-8b", context: parent, ofKind: .client)
        span.updateAttributes { attributes in
            attributes["gen_ai.operation.name"] = "chat"
            attributes["gen_ai.provider.name"] = "openai"
            attributes["gen_ai.request.model"] = "granite-3.3-8b"
            attributes["gen_ai.request.temperature"] = 0.7
            attributes["gen_ai.request.max_tokens"] = 512
            attributes["gen_ai.response.id"] = responseID(index)
            attributes["gen_ai.response.finish_reasons"] = ["stop"]
            attributes["gen_ai.usage.input_tokens"] = 123
            attributes["gen_ai.usage.output_tokens"] = 456
            attributes["gen_ai.conversation.id"] = conversationID
        }
        span.addEvent(Tracing.SpanEvent(name: "gen_ai.content.first_token",
                                        attributes: ["gen_ai.server.time_to_first_token": 0.042]))
        span.end()
    }
}

/// `"chatcmpl-<index>"` for a non-negative `index`, written in one pass. The same string as
/// `"chatcmpl-\(index)"`, whose generic integer printing and appends cost ~290 instructions a span
/// more: the benchmark's own cost, not the library's, so neither W1 nor W1-DT pays it.
@inline(__always)
func responseID(_ index: Int) -> String {
    precondition(index >= 0, "a span index is never negative")
    var digits = 1
    var rest = index / 10
    while rest > 0 { digits += 1; rest /= 10 }
    return String(unsafeUninitializedCapacity: 9 + digits) { buffer in
        let prefix: StaticString = "chatcmpl-"
        UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: prefix.utf8Start, count: 9))
        var value = index
        for position in stride(from: 8 + digits, through: 9, by: -1) {
            buffer[position] = UInt8(truncatingIfNeeded: 48 + value % 10)
            value /= 10
        }
        return 9 + digits
    }
}

/// CPU time of the calling thread.
func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Minor page faults of the calling thread so far.
func threadMinorFaults() -> Int {
    var usage = rusage()
    getrusage(1, &usage)  // RUSAGE_THREAD (Linux)
    return usage.ru_minflt
}

/// The process's peak resident set since the last ``resetPeakRSS()`` (`VmHWM`), or since it
/// started if /proc cannot tell (then `ru_maxrss`, said on stderr).
func peakRSSMegabytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = line.dropFirst(6).split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) }) {
        return kilobytes / 1024
    }
    FileHandle.standardError.write(Data("trace-bench: no VmHWM in /proc/self/status; peak RSS is the process's lifetime peak\n".utf8))
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss / 1024)
}

/// Starts a new peak: returns the heap's free memory to the system (`malloc_trim`, so that memory a
/// previous run freed is not counted again), then has the kernel reset `VmHWM` to the current
/// resident set ("5" to `clear_refs`); says on stderr if it could not.
func resetPeakRSS() {
    typealias MallocTrim = @convention(c) (Int) -> Int32
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }
    let fd = open("/proc/self/clear_refs", O_WRONLY)
    let reset = fd >= 0 && write(fd, "5", 1) == 1
    if fd >= 0 { close(fd) }
    if !reset {
        FileHandle.standardError.write(Data("trace-bench: cannot reset the peak RSS (/proc/self/clear_refs); peaks include earlier runs\n".utf8))
    }
}
