import Foundation

/// The entity that produces spans (OTLP `Resource`): service name, SDK identity, and the user's
/// `OTEL_RESOURCE_ATTRIBUTES`.
public struct Resource: Sendable, Equatable {
    /// Resource attributes, one per key.
    public let attributes: [Attribute]

    /// Creates a resource from attributes; a later duplicate key replaces an earlier one.
    public init(attributes: [Attribute]) {
        var seen: [String: Int] = [:]
        var unique: [Attribute] = []
        for attribute in attributes {
            if let index = seen[attribute.key] { unique[index] = attribute }
            else { seen[attribute.key] = unique.count; unique.append(attribute) }
        }
        self.attributes = unique
    }

    /// The value of `key`, if present.
    public subscript(key: String) -> AttributeValue? {
        attributes.first { $0.key == key }?.value
    }

    /// This library's name and version as `telemetry.sdk.*` reports them.
    public static let sdkName = "mellea-tracing"
    /// This library's version.
    public static let sdkVersion = "0.1.0"

    /// The resource from the environment: `telemetry.sdk.*`, then `OTEL_RESOURCE_ATTRIBUTES`,
    /// then `OTEL_SERVICE_NAME`, which wins over a `service.name` given in the attributes.
    /// Without either, `service.name` is `unknown_service:<process name>` (the spec's default)
    /// or `defaultServiceName` when given.
    public static func fromEnvironment(_ env: EnvironmentReader = EnvironmentReader(),
                                       defaultServiceName: String? = nil) -> Resource {
        var attributes: [Attribute] = [
            Attribute("service.name", .string(defaultServiceName ?? "unknown_service:\(ProcessInfo.processInfo.processName)")),
            Attribute("telemetry.sdk.name", .string(sdkName)),
            Attribute("telemetry.sdk.language", "swift"),
            Attribute("telemetry.sdk.version", .string(sdkVersion)),
        ]
        if let value = env.string("OTEL_RESOURCE_ATTRIBUTES") {
            switch parseAttributeList(value) {
            case .success(let pairs): attributes += pairs.map { Attribute($0.key, .string($0.value)) }
            case .failure(let problem):
                env.diagnostics.report(.warning,
                    "OTEL_RESOURCE_ATTRIBUTES is invalid (\(problem.text)): expected key1=value1,key2=value2 with ',' and '=' percent-encoded; the whole variable is ignored")
            }
        }
        if let name = env.string("OTEL_SERVICE_NAME") {
            attributes.append(Attribute("service.name", .string(name)))
        }
        return Resource(attributes: attributes)
    }

    struct ListProblem: Error { let text: String }

    /// Parses `k=v,k2=v2` with percent-decoding of keys and values.
    static func parseAttributeList(_ text: String) -> Result<[(key: String, value: String)], ListProblem> {
        var pairs: [(key: String, value: String)] = []
        for (index, entry) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let equals = trimmed.firstIndex(of: "=") else {
                return .failure(ListProblem(text: "entry \(index + 1) has no '='"))
            }
            guard let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).removingPercentEncoding,
                  let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces).removingPercentEncoding
            else { return .failure(ListProblem(text: "entry \(index + 1) has invalid percent-encoding")) }
            guard !key.isEmpty else { return .failure(ListProblem(text: "entry \(index + 1) has an empty key")) }
            pairs.append((key, value))
        }
        return .success(pairs)
    }
}
