import ArgumentParser

/// `mellea-trace`: see a GenAI program's traces without running a collector.
@main
struct MelleaTrace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mellea-trace",
        abstract: "See the OpenTelemetry traces of a GenAI program, with or without a collector.",
        discussion: """
            Exit status: 0 on success; 1 when the command ran but failed (spans not delivered, the \
            model call failed, the receiver could not listen); 64 when the command line is wrong.
            """,
        subcommands: [DemoCommand.self, ReceiveCommand.self, ChatCommand.self],
        defaultSubcommand: DemoCommand.self
    )
}
