import Foundation
import MelleaTracing

/// Which field carries ``ModelOptions/maxTokens`` on the wire.
public enum MaxTokensField: String, Sendable {
    /// `max_tokens`: what most OpenAI-compatible servers read (vLLM, Ollama, llama.cpp, LiteLLM).
    case maxTokens = "max_tokens"
    /// `max_completion_tokens`: what OpenAI's own API wants (its reasoning models refuse `max_tokens`).
    case maxCompletionTokens = "max_completion_tokens"
}

/// The JSON bodies of the chat-completions and completions endpoints.
enum RequestBodies {
    /// `POST {base}/chat/completions`.
    static func chat(_ request: GenerationRequest, model: String, stream: Bool,
                     maxTokensField: MaxTokensField) throws(OpenAIError) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(model),
            "messages": .array(request.messages.map(message)),
        ]
        options(request.options, into: &body, maxTokensField: maxTokensField)
        if stream {
            body["stream"] = .bool(true)
            // Without it the stream carries no usage at all; with it the last chunk does.
            body["stream_options"] = .object(["include_usage": .bool(true)])
        }
        switch request.format {
        case .text:
            break
        case .jsonObject:
            body["response_format"] = .object(["type": .string("json_object")])
        case .json(let name, let schemaJSON):
            body["response_format"] = .object([
                "type": .string("json_schema"),
                "json_schema": .object(["name": .string(name), "schema": try parse(schemaJSON, what: "the response schema \(name)")]),
            ])
        }
        if !request.tools.isEmpty {
            body["tools"] = .array(try request.tools.map { tool throws(OpenAIError) in
                var function: [String: JSONValue] = [
                    "name": .string(tool.name),
                    "parameters": try parse(tool.parametersJSON, what: "the parameters schema of tool \(tool.name)"),
                ]
                if !tool.description.isEmpty { function["description"] = .string(tool.description) }
                return .object(["type": .string("function"), "function": .object(function)])
            })
        }
        if let choice = request.toolChoice {
            switch choice {
            case .auto: body["tool_choice"] = .string("auto")
            case .none: body["tool_choice"] = .string("none")
            case .required: body["tool_choice"] = .string("required")
            case .function(let name):
                body["tool_choice"] = .object(["type": .string("function"), "function": .object(["name": .string(name)])])
            }
        }
        return .object(body)
    }

    /// `POST {base}/completions` with one prompt per batch entry.
    static func completions(_ prompts: [String], options: ModelOptions, model: String,
                            maxTokensField: MaxTokensField) -> JSONValue {
        var body: [String: JSONValue] = ["model": .string(model), "prompt": .array(prompts.map(JSONValue.string))]
        // The legacy endpoint only knows `max_tokens`.
        self.options(options, into: &body, maxTokensField: .maxTokens)
        return .object(body)
    }

    /// One message as the wire wants it: tool calls on assistant messages, the call id on tool results.
    static func message(_ message: ChatMessage) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(message.role)]
        // An assistant message that only calls tools has no content (`null`, as the SDKs send it).
        object["content"] = message.content.isEmpty && !message.toolCalls.isEmpty ? .null : .string(message.content)
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = .array(message.toolCalls.map { call in
                .object([
                    "id": .string(call.id), "type": .string("function"),
                    "function": .object(["name": .string(call.name), "arguments": .string(call.argumentsJSON)]),
                ])
            })
        }
        if let id = message.toolCallID { object["tool_call_id"] = .string(id) }
        return .object(object)
    }

    private static func options(_ o: ModelOptions, into body: inout [String: JSONValue], maxTokensField: MaxTokensField) {
        if let v = o.temperature { body["temperature"] = .double(v) }
        if let v = o.topP { body["top_p"] = .double(v) }
        // Not OpenAI's own parameter; vLLM, llama.cpp and LiteLLM read it, OpenAI refuses it.
        if let v = o.topK { body["top_k"] = .int(Int64(v)) }
        if let v = o.maxTokens { body[maxTokensField.rawValue] = .int(Int64(v)) }
        if let v = o.frequencyPenalty { body["frequency_penalty"] = .double(v) }
        if let v = o.presencePenalty { body["presence_penalty"] = .double(v) }
        if let v = o.stopSequences { body["stop"] = .array(v.map(JSONValue.string)) }
        if let v = o.seed { body["seed"] = .int(Int64(v)) }
        if let v = o.choiceCount { body["n"] = .int(Int64(v)) }
    }

    private static func parse(_ json: String, what: String) throws(OpenAIError) -> JSONValue {
        guard let value = JSONValue(parsing: json) else {
            throw OpenAIError(.invalidRequest, message: "\(what) is not valid JSON")
        }
        return value
    }
}
