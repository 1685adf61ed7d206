import OTLPReceiver
import Synchronization

/// A receiver on a free loopback port that keeps every span it gets: where `demo` and `chat`
/// export when no OTLP endpoint is configured, so that their traces travel the real gRPC path.
final class EmbeddedReceiver: Sendable {
    private final class Store: Sendable {
        let spans = Mutex<[ReceivedSpan]>([])
    }
    private let store = Store()
    let receiver: OTLPReceiver

    init() throws(ReceiverStartError) {
        let store = store
        receiver = try OTLPReceiver(address: "127.0.0.1:0", threads: 1) { request in
            store.spans.withLock { $0.append(contentsOf: request.spans) }
        }
    }

    /// The endpoint to export to.
    var endpoint: String { "http://127.0.0.1:\(receiver.port)" }

    /// Every span received so far, in arrival order.
    var spans: [ReceivedSpan] { store.spans.withLock { $0 } }

    func stop() { receiver.stop() }
}
