import Foundation
import OTLPExport

/// `mellea-trace receive [--port P]`: counts spans received on 127.0.0.1 until interrupted.
func runReceiver(_ arguments: ArraySlice<String>) -> Never {
    var port = 4317
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
        guard argument == "--port", let value = iterator.next(), let parsed = Int(value), (0...65535).contains(parsed) else {
            FileHandle.standardError.write(Data("usage: mellea-trace receive [--port P]  (P in 0...65535; 0 picks a free port)\n".utf8))
            exit(2)
        }
        port = parsed
    }
    let receiver: OTLPCountingReceiver
    do { receiver = try OTLPCountingReceiver(address: "127.0.0.1:\(port)") } catch {
        FileHandle.standardError.write(Data("mellea-trace receive: \(error)\n".utf8))
        exit(1)
    }
    ReceiverHandshake.announce(port: receiver.port)
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let stop = DispatchSemaphore(value: 0)
    let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
    for source in sources {
        source.setEventHandler { stop.signal() }
        source.resume()
    }
    var last = -1
    while stop.wait(timeout: .now() + .seconds(1)) == .timedOut {
        if receiver.spans != last {
            last = receiver.spans
            FileHandle.standardOutput.write(Data("spans=\(receiver.spans) requests=\(receiver.requests) failed_requests=\(receiver.failures)\n".utf8))
        }
    }
    receiver.stop()
    FileHandle.standardOutput.write(Data("spans=\(receiver.spans) requests=\(receiver.requests) failed_requests=\(receiver.failures)\n".utf8))
    exit(0)
}
