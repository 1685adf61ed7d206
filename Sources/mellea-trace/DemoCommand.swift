import ArgumentParser
import Foundation
import MelleaTracing
import OTLPReceiver

/// `mellea-trace demo`: a small generative program, traced through the real pipeline.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a small scripted GenAI program and show its trace.",
        discussion: """
            Runs a session on a scripted back end (no model needed): an instruction whose first \
            answer fails a requirement and is repaired, a turn in which the model calls a tool, and a \
            streamed reply. Its spans go through the real export pipeline over OTLP/gRPC.

            With OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT set, they go there. \
            Otherwise an embedded receiver on a free loopback port receives them and the trace is \
            printed as a tree (coloured on a terminal, unless NO_COLOR is set).

            Exits 1 when not every span was delivered.
            """
    )

    @Flag(help: .hidden) var exitWithoutShutdown = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let traced: TracedRun
        do { traced = try TracedRun(serviceName: "mellea-trace-demo", environment: environment) } catch {
            complain("could not start the embedded receiver: \(error)")
            throw failed
        }
        guard traced.setup.isEnabled else {
            complain("tracing is off (see the message above): nothing to show")
            throw failed
        }
        print(traced.announcement)
        do {
            let steps = try await DemoProgram.run()
            print("")
            for step in steps { print("  " + step) }
            print("")
        } catch {
            complain("the demo program failed: \(error)")
        }
        // Behaves like a program that forgets to shut tracing down: the process must still exit at
        // once, with exports possibly in flight (a test checks that it neither hangs nor crashes).
        if exitWithoutShutdown {
            print("exiting without shutdown")
            Foundation.exit(0)
        }
        guard traced.finish(colour: TerminalColour.isEnabled(environment: environment)) else { throw failed }
    }
}
