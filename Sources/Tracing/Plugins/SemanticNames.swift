/// Every span, attribute and event name the tracing plugins emit, in one place.
///
/// Three namespaces only:
/// - the OpenTelemetry GenAI semantic conventions, read from
///   `open-telemetry/semantic-conventions-genai` (`model/gen-ai/registry.yaml`, `spans.yaml`,
///   `events.yaml` and the message JSON schemas; the registry has no tagged release yet: its
///   `model/manifest.yaml` declares the dev schema in ``schemaURL``; names checked at commit
///   `e9de14ba`, cross-checked with main at `fe5608e2`), and the general registry (`server.*`,
///   `error.type`, `exception.*`);
/// - `mellea.*`, this library's own;
/// - OpenInference's (`openinference.span.kind`, `input.value`, ...), written only when
///   `MELLEA_TRACES_OPENINFERENCE=true`.
///
/// `Tests/MelleaTracingTests/Resources/semconv-names.txt` holds the conventions' names as read; a
/// test fails when a span carries a name that is in none of the three.
enum SemanticNames {
    /// The schema URL of the conventions version followed, set on every span's instrumentation scope.
    static let schemaURL = "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev"

    /// `gen_ai.operation.name` values (and the first word of the span names).
    enum Operation {
        static let chat = "chat"
        static let textCompletion = "text_completion"
        static let executeTool = "execute_tool"
        static let invokeAgent = "invoke_agent"
        static let invokeWorkflow = "invoke_workflow"
    }

    /// `gen_ai.*` attributes.
    enum GenAI {
        static let operationName = "gen_ai.operation.name"
        static let providerName = "gen_ai.provider.name"
        static let conversationID = "gen_ai.conversation.id"
        static let agentName = "gen_ai.agent.name"
        static let agentID = "gen_ai.agent.id"
        static let workflowName = "gen_ai.workflow.name"
        static let outputType = "gen_ai.output.type"

        static let requestModel = "gen_ai.request.model"
        static let requestStream = "gen_ai.request.stream"
        static let requestTemperature = "gen_ai.request.temperature"
        static let requestTopP = "gen_ai.request.top_p"
        static let requestTopK = "gen_ai.request.top_k"
        static let requestMaxTokens = "gen_ai.request.max_tokens"
        static let requestFrequencyPenalty = "gen_ai.request.frequency_penalty"
        static let requestPresencePenalty = "gen_ai.request.presence_penalty"
        static let requestStopSequences = "gen_ai.request.stop_sequences"
        static let requestSeed = "gen_ai.request.seed"
        static let requestChoiceCount = "gen_ai.request.choice.count"

        static let responseID = "gen_ai.response.id"
        static let responseModel = "gen_ai.response.model"
        static let responseFinishReasons = "gen_ai.response.finish_reasons"
        static let responseTimeToFirstChunk = "gen_ai.response.time_to_first_chunk"

        static let usageInputTokens = "gen_ai.usage.input_tokens"
        static let usageOutputTokens = "gen_ai.usage.output_tokens"
        static let usageCacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens"
        /// Named `gen_ai.usage.cache_creation.input_tokens` before semantic-conventions-genai PR #440.
        static let usageCacheWriteInputTokens = "gen_ai.usage.cache_write.input_tokens"
        static let usageReasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens"

        static let inputMessages = "gen_ai.input.messages"
        static let outputMessages = "gen_ai.output.messages"
        static let systemInstructions = "gen_ai.system_instructions"
        static let toolDefinitions = "gen_ai.tool.definitions"

        static let toolName = "gen_ai.tool.name"
        static let toolCallID = "gen_ai.tool.call.id"
        static let toolType = "gen_ai.tool.type"
        static let toolDescription = "gen_ai.tool.description"
        static let toolCallArguments = "gen_ai.tool.call.arguments"
        static let toolCallResult = "gen_ai.tool.call.result"
    }

    /// General-registry attributes.
    enum Server {
        static let address = "server.address"
        static let port = "server.port"
    }

    /// Events.
    enum Event {
        /// The conventions' event with a call's content (written under `SPAN_AND_EVENT` / `EVENT_ONLY`).
        static let inferenceDetails = "gen_ai.client.inference.operation.details"
        /// A streamed generation's first non-empty chunk (the conventions define no such event).
        static let firstChunk = "mellea.stream.first_chunk"
        /// A streamed generation completed.
        static let streamCompleted = "mellea.stream.completed"
        /// One streamed chunk (only with `MELLEA_GENERATION_CHUNK_EVENTS=true`, capped per span).
        static let chunk = "mellea.stream.chunk"
        /// One attempt of a sampling loop.
        static let samplingIteration = "mellea.sampling.iteration"
        /// A sampling loop repaired its request.
        static let samplingRepair = "mellea.sampling.repair"
    }

    /// The `mellea.*` namespace.
    enum Mellea {
        static let sessionID = "mellea.session.id"
        static let sessionBackendName = "mellea.session.backend_name"
        static let sessionInteractionCount = "mellea.session.interaction_count"
        static let linkType = "mellea.link.type"

        static let componentType = "mellea.component.type"
        static let actionHasRequirements = "mellea.action.has_requirements"
        static let actionHasFormat = "mellea.action.has_format"
        static let actionToolCalls = "mellea.action.tool_calls"
        static let actionGenerationCount = "mellea.action.num_generate_logs"
        static let actionResponseLength = "mellea.action.response_length"
        static let actionRequirementsMet = "mellea.action.requirements_met"

        static let requestNumActions = "mellea.request.num_actions"
        /// How a call ended when it did not complete on its own: `cancelled`, `consumer_stopped`.
        static let endReason = "mellea.end_reason"
        static let chunkIndex = "mellea.stream.chunk_index"
        static let chunkTextLength = "mellea.stream.chunk_text_length"
        static let droppedChunkEvents = "mellea.stream.dropped_chunk_events"

        static let toolExecutionTime = "mellea.tool.execution_time_ms"

        static let streamingRequirementCount = "mellea.streaming.requirement_count"
        static let streamingChunkingStrategy = "mellea.streaming.chunking_strategy"
        static let streamingFullTextLength = "mellea.streaming.full_text_length"
        static let streamingSuccess = "mellea.streaming.success"

        static let samplingStrategyType = "mellea.sampling.strategy_type"
        static let samplingLoopBudget = "mellea.sampling.loop_budget"
        static let samplingRequirementCount = "mellea.sampling.requirement_count"
        static let samplingIteration = "mellea.sampling.iteration"
        static let samplingAllValidationsPassed = "mellea.sampling.all_validations_passed"
        static let samplingRepairIteration = "mellea.sampling.repair_iteration"
        static let samplingRepairType = "mellea.sampling.repair_type"
        static let samplingSuccess = "mellea.sampling.success"
        static let samplingIterationsUsed = "mellea.sampling.iterations_used"
        static let samplingFailureReason = "mellea.sampling.failure_reason"

        static let validationRequirementCount = "mellea.validation.requirement_count"
        static let validationValidCount = "mellea.validation.valid_count"
        static let validationPassed = "mellea.validation.passed"
        static let validationPassedCount = "mellea.validation.passed_count"
        static let validationFailedCount = "mellea.validation.failed_count"
        static let validationFailedRequirements = "mellea.validation.failed_requirements"
        static let validationFailureReasons = "mellea.validation.failure_reasons"
    }

    /// OpenInference (Arize) attributes, behind `MELLEA_TRACES_OPENINFERENCE`.
    enum OpenInference {
        static let spanKind = "openinference.span.kind"
        static let inputValue = "input.value"
        static let inputMimeType = "input.mime_type"
        static let outputValue = "output.value"
        static let outputMimeType = "output.mime_type"
        static let sessionID = "session.id"
    }
}
