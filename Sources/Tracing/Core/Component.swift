/// A unit of generative work a session runs: an instruction, a chat turn, a query.
public struct Component: Sendable, Equatable {
    /// The kind, recorded as `mellea.component.type` (e.g. `Instruction`, `Message`).
    public var type: String
    /// The user-facing text.
    public var text: String
    /// Natural-language requirements the output should meet.
    public var requirements: [String]
    /// Requested output format.
    public var format: OutputFormat
    /// Tools the model may call.
    public var tools: [ToolDefinition]

    /// Creates a component.
    public init(type: String, text: String, requirements: [String] = [], format: OutputFormat = .text,
                tools: [ToolDefinition] = []) {
        self.type = type
        self.text = text
        self.requirements = requirements
        self.format = format
        self.tools = tools
    }

    /// An instruction.
    public static func instruction(_ text: String, requirements: [String] = []) -> Component {
        Component(type: "Instruction", text: text, requirements: requirements)
    }
}
