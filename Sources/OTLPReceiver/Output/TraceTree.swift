/// Traces drawn as trees for a terminal: each span's name indented under its parent (siblings in
/// start order), then its kind, duration, status, a timeline bar over the trace's extent, and the
/// key `gen_ai.*` attributes (model, tokens, finish reasons, tool name).
package struct TraceTree: Sendable {
    /// Whether to colour the output with ANSI escapes.
    package var colour: Bool
    /// Cells of the timeline bar.
    package var barWidth: Int

    /// A renderer; colour only when asked (see ``TerminalColour``).
    package init(colour: Bool, barWidth: Int = 24) {
        self.colour = colour
        self.barWidth = max(4, barWidth)
    }

    /// `spans` as one tree per trace, traces in order of their first span's start. Each line ends
    /// with a newline.
    package func render(_ spans: [ReceivedSpan]) -> String {
        var traces: [String: [ReceivedSpan]] = [:]
        for span in spans { traces[span.traceIDHex, default: []].append(span) }
        return traces.values
            .sorted { ($0.map(\.startTimeUnixNano).min() ?? 0) < ($1.map(\.startTimeUnixNano).min() ?? 0) }
            .map(renderTrace)
            .joined(separator: "\n")
    }

    private struct Row {
        var prefix: String
        var span: ReceivedSpan
    }

    /// One trace: a header line, then a row per span.
    private func renderTrace(_ spans: [ReceivedSpan]) -> String {
        let ids = Set(spans.map(\.spanIDHex))
        var children: [String: [ReceivedSpan]] = [:]
        var roots: [ReceivedSpan] = []
        for span in spans {
            if span.parentSpanID.isEmpty || !ids.contains(span.parentSpanIDHex) {
                roots.append(span)  // a root, or a span whose parent this receiver never got
            } else {
                children[span.parentSpanIDHex, default: []].append(span)
            }
        }
        func ordered(_ spans: [ReceivedSpan]) -> [ReceivedSpan] {
            spans.sorted { ($0.startTimeUnixNano, $0.endTimeUnixNano, $0.name) < ($1.startTimeUnixNano, $1.endTimeUnixNano, $1.name) }
        }
        var rows: [Row] = []
        func visit(_ span: ReceivedSpan, lead: String, branch: String) {
            rows.append(Row(prefix: lead + branch, span: span))
            let below = ordered(children[span.spanIDHex] ?? [])
            let nextLead = lead + (branch == "├─ " ? "│  " : branch.isEmpty ? "" : "   ")
            for (index, child) in below.enumerated() {
                visit(child, lead: nextLead, branch: index == below.count - 1 ? "└─ " : "├─ ")
            }
        }
        for root in ordered(roots) { visit(root, lead: "", branch: "") }

        let start = spans.map(\.startTimeUnixNano).min() ?? 0
        let end = max(spans.map(\.endTimeUnixNano).max() ?? 0, start)
        let service = spans.first?.resource.attributes.first { $0.key == "service.name" }?.value.text ?? "unknown service"
        let spanWord = plural(spans.count, "span")
        var text = paint("trace \(spans[0].traceIDHex)", .bold) + paint("  \(service) · \(spanWord) · \(duration(end - start))", .dim) + "\n"

        let nameWidth = rows.map { ($0.prefix + $0.span.name).count }.max() ?? 0
        let durations = rows.map { duration($0.span.endTimeUnixNano &- $0.span.startTimeUnixNano) }
        let durationWidth = durations.map(\.count).max() ?? 0
        for (row, spanDuration) in zip(rows, durations) {
            let span = row.span
            let name = row.prefix + span.name
            var line = paint(row.prefix, .dim) + paint(span.name, span.parentSpanID.isEmpty ? .bold : .plain)
            line += String(repeating: " ", count: nameWidth - name.count)
            line += "  " + paint(pad(kindName(span.kind), 8), .dim)
            line += "  " + String(repeating: " ", count: durationWidth - spanDuration.count) + spanDuration
            let (status, statusStyle) = statusName(span.status.code)
            line += "  " + paint(pad(status, 5), statusStyle)
            line += "  " + bar(span, traceStart: start, traceEnd: end)
            let summary = attributeSummary(span)
            if !summary.isEmpty { line += "  " + summary }
            text += line + "\n"
        }
        return text
    }

    /// The span's extent as filled cells on the trace's timeline (at least one cell).
    private func bar(_ span: ReceivedSpan, traceStart: UInt64, traceEnd: UInt64) -> String {
        let total = Double(max(traceEnd - traceStart, 1))
        let from = Double(span.startTimeUnixNano.clamped(traceStart, traceEnd) - traceStart) / total
        let to = Double(span.endTimeUnixNano.clamped(traceStart, traceEnd) - traceStart) / total
        let first = min(barWidth - 1, Int((from * Double(barWidth)).rounded(.down)))
        let last = max(first + 1, min(barWidth, Int((to * Double(barWidth)).rounded(.up))))
        let before = String(repeating: "·", count: first)
        let filled = String(repeating: "█", count: last - first)
        let after = String(repeating: "·", count: barWidth - last)
        return paint(before, .dim) + paint(filled, .cyan) + paint(after, .dim)
    }

    /// The attributes a reader looks for first, as `key=value` pairs.
    private func attributeSummary(_ span: ReceivedSpan) -> String {
        var parts: [String] = []
        func add(_ label: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            parts.append(paint(label + "=", .dim) + value)
        }
        add("model", (span["gen_ai.response.model"] ?? span["gen_ai.request.model"])?.text)
        let input = span["gen_ai.usage.input_tokens"]?.text
        let output = span["gen_ai.usage.output_tokens"]?.text
        add("tokens", [input.map { "\($0) in" }, output.map { "\($0) out" }].compactMap { $0 }.joined(separator: "/"))
        if case .array(let reasons)? = span["gen_ai.response.finish_reasons"] {
            add("finish", reasons.map(\.text).joined(separator: ","))
        } else {
            add("finish", span["gen_ai.response.finish_reasons"]?.text)
        }
        add("tool", span["gen_ai.tool.name"]?.text)
        add("http", (span["http.response.status_code"] ?? span["http.status_code"])?.text)
        if case .bool(let passed)? = span["mellea.validation.passed"] { add("validation", passed ? "passed" : "failed") }
        add("iterations", span["mellea.sampling.iterations_used"]?.text)
        if case .bool(let met)? = span["mellea.action.requirements_met"] { add("requirements", met ? "met" : "not met") }
        add("error", span["error.type"]?.text)
        return parts.joined(separator: " ")
    }

    private func duration(_ nanoseconds: UInt64) -> String {
        let milliseconds = Double(nanoseconds) / 1e6
        if milliseconds < 1 { return "\(Int((milliseconds * 1000).rounded())) µs" }
        if milliseconds < 10 { return formatted(milliseconds, decimals: 2) + " ms" }
        if milliseconds < 1000 { return formatted(milliseconds, decimals: 1) + " ms" }
        return formatted(milliseconds / 1000, decimals: 2) + " s"
    }

    private func formatted(_ value: Double, decimals: Int) -> String {
        let scale = decimals == 2 ? 100.0 : 10.0
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        return "\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    private func kindName(_ kind: Int32) -> String {
        switch kind {
        case 1: return "internal"
        case 2: return "server"
        case 3: return "client"
        case 4: return "producer"
        case 5: return "consumer"
        default: return "unspecified"
        }
    }

    private func statusName(_ code: Int32) -> (String, Style) {
        switch code {
        case 1: return ("ok", .green)
        case 2: return ("error", .red)
        default: return ("unset", .dim)
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    enum Style: String {
        case plain = ""
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case cyan = "36"
    }

    private func paint(_ text: String, _ style: Style) -> String {
        guard colour, style != .plain, !text.isEmpty else { return text }
        return "\u{1B}[\(style.rawValue)m" + text + "\u{1B}[0m"
    }
}

private extension UInt64 {
    func clamped(_ low: UInt64, _ high: UInt64) -> UInt64 { Swift.min(Swift.max(self, low), high) }
}

/// `count` and `noun`, with an "s" unless `count` is 1.
package func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
