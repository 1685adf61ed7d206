/// A unit of generative work a session runs: an instruction, a chat turn, a query.
public struct Component: Sendable {
    /// The kind, recorded as `mellea.component.type` (e.g. `Instruction`, `Message`).
    public var type: String
    /// The user-facing text.
    public var text: String
    /// Requirements the output must meet (checked by the action's sampling strategy).
    public var requirements: [Requirement]
    /// Requested output format.
    public var format: OutputFormat
    /// Tools the model may call for this component, besides the session's.
    public var tools: [Tool]

    /// Creates a component.
    public init(type: String, text: String, requirements: [Requirement] = [], format: OutputFormat = .text,
                tools: [Tool] = []) {
        self.type = type
        self.text = text
        self.requirements = requirements
        self.format = format
        self.tools = tools
    }

    /// An instruction.
    public static func instruction(_ text: String, requirements: [Requirement] = [], format: OutputFormat = .text) -> Component {
        Component(type: "Instruction", text: text, requirements: requirements, format: format)
    }
}
