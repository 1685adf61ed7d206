import ArgumentParser
import Dispatch
import Foundation
import OTLPReceiver
import Synchronization

/// `mellea-trace receive`: a local OTLP/gRPC receiver that prints each trace as a tree.
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Receive OTLP/gRPC traces locally and print each as a tree.",
        discussion: """
            Point a program's exporter here (OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317) to \
            see what it emits without running a collector. A trace is printed once no new span of it \
            has arrived for the quiet time. Malformed requests are answered INVALID_ARGUMENT, \
            oversized ones RESOURCE_EXHAUSTED; the receiver keeps serving.

            SIGINT (Ctrl-C) or SIGTERM stops it, printing what is still held and a summary.
            Exits 1 when it cannot listen or cannot write the JSONL file.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Where to listen: HOST:PORT (port 0 picks a free one).", valueName: "host:port"),
            transform: ListenAddress.parse)
    var listen = try! ListenAddress.parse("127.0.0.1:4317")

    @Flag(help: "Allow a --listen address other machines can reach (by default only loopback addresses are accepted).")
    var allowRemote = false

    @Option(help: ArgumentHelp("Also write every span as one line of OTLP/JSON to this file (replaced if it exists).", valueName: "file"))
    var jsonl: String?

    @Option(help: ArgumentHelp("Seconds without a new span after which a trace is printed.", valueName: "seconds"))
    var quietTime = 1.0

    @Option(help: ArgumentHelp("Largest request accepted, in bytes; larger ones are answered RESOURCE_EXHAUSTED.", valueName: "bytes"))
    var maxRequestBytes = OTLPReceiver.defaultMaxRequestBytes

    @Flag(help: "Print no trees (only the summary; with --jsonl, for scripts).")
    var noTrees = false

    @Flag(help: .hidden) var handshake = false

    func validate() throws {
        guard listen.isLoopback || allowRemote else {
            throw ValidationError("\(listen) can be reached from other machines: pass --allow-remote to listen there, or use a loopback address such as 127.0.0.1")
        }
        guard quietTime.isFinite, quietTime >= 0 else { throw ValidationError("--quiet-time expects seconds >= 0, got \(quietTime)") }
        guard (1...Int(Int32.max)).contains(maxRequestBytes) else {
            throw ValidationError("--max-request-bytes expects 1...\(Int32.max), got \(maxRequestBytes)")
        }
    }

    func run() async throws {
        let output: JSONLFile?
        do { output = try jsonl.map(JSONLFile.init(path:)) } catch {
            complain("\(error)")
            throw failed
        }
        let assembler = TraceAssembler(quietTime: .milliseconds(Int(quietTime * 1000)))
        let receiver: OTLPReceiver
        do {
            receiver = try OTLPReceiver(address: listen.description, threads: 2, maxRequestBytes: maxRequestBytes) { request in
                output?.write(request.spans.map(OTLPJSONLine.encode))
                assembler.add(request.spans)
            }
        } catch {
            complain("\(error) (is a collector or another receiver using it? choose another with --listen)")
            throw failed
        }
        if handshake { ReceiverHandshake.announce(port: receiver.port) }
        let host = listen.host
        print("listening for OTLP/gRPC traces on \(host):\(receiver.port): export with OTEL_EXPORTER_OTLP_ENDPOINT=http://\(host):\(receiver.port)")
        if let jsonl { print("writing every span to \(jsonl) (one OTLP/JSON line each)") }
        print("stop with Ctrl-C")
        flushStandardOutput()

        let stop = SignalFlag(signals: [SIGINT, SIGTERM])
        let tree = TraceTree(colour: TerminalColour.isEnabled(environment: ProcessInfo.processInfo.environment))
        func printTraces(_ traces: [[ReceivedSpan]]) {
            guard !noTrees, !traces.isEmpty else { return }
            for trace in traces { print("\n" + tree.render(trace), terminator: "") }
            flushStandardOutput()
        }
        while !stop.isRaised {
            try? await Task.sleep(for: .milliseconds(50))
            printTraces(assembler.takeQuiet())
        }
        receiver.stop()
        printTraces(assembler.takeAll())
        output?.close()
        let counts = receiver.counts
        print("\nreceived \(plural(counts.spans, "span")) in \(plural(assembler.traceCount, "trace")) from "
              + "\(plural(counts.requests, "request")) (\(plural(counts.bytes, "byte"))); "
              + "\(plural(counts.failures, "request")) answered with an error")
        flushStandardOutput()
    }
}

/// Set once any of `signals` arrives (they no longer end the process).
private final class SignalFlag {
    private final class Raised: Sendable {
        let value = Atomic(false)
    }
    private let raised = Raised()
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let raised = raised
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { raised.value.store(true, ordering: .relaxed) }
            source.resume()
            return source
        }
    }

    var isRaised: Bool { raised.value.load(ordering: .relaxed) }
}

/// The `--jsonl` file, written by receiver threads one request at a time.
private final class JSONLFile: Sendable {
    private let handle: Mutex<FileHandle?>
    let path: String

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw JSONLFileError(description: "cannot write the JSONL file '\(path)': check that its folder exists and is writable")
        }
        self.handle = Mutex(handle)
    }

    func write(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        let data = Data(lines.map { $0 + "\n" }.joined().utf8)
        handle.withLock { try? $0?.write(contentsOf: data) }
    }

    func close() {
        handle.withLock { handle in
            try? handle?.close()
            handle = nil
        }
    }
}

private struct JSONLFileError: Error, CustomStringConvertible {
    let description: String
}

/// Flushes standard output (a pipe buffers it), so a reader sees each trace as it is printed.
func flushStandardOutput() { fflush(nil) }
