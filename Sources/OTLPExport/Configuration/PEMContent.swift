import Foundation

/// What a TLS variable's PEM file must hold, checked before gRPC sees it.
///
/// gRPC core takes any text and fails only when it connects, as "UNAVAILABLE: empty address list",
/// which the exporter would retry as if the collector were down. This check finds the usual
/// mistakes at configuration time: blocks without their END line, text between BEGIN and END that
/// is not base64 of one DER structure, a private key where certificates belong (or the reverse),
/// an encrypted key. It does not verify signatures or that a key matches its certificate.
enum PEMContent {
    /// CA certificates, or a client certificate chain: `CERTIFICATE` blocks only.
    case certificates
    /// One unencrypted private key (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`).
    case privateKey

    /// What the variable expects, for the warning.
    var expected: String {
        switch self {
        case .certificates: return "a PEM file of certificates (-----BEGIN CERTIFICATE----- blocks)"
        case .privateKey: return "a PEM file of one unencrypted private key (-----BEGIN PRIVATE KEY-----)"
        }
    }

    private static let keyLabels: Set<String> = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]

    /// Why `text` does not hold this content, or `nil` when it does.
    func problem(in text: String) -> String? {
        let blocks: [(label: String, der: Data)]
        switch Self.blocks(in: text) {
        case .failure(let problem): return problem.description
        case .success(let found): blocks = found
        }
        guard !blocks.isEmpty else { return "no PEM block found" }
        for (number, block) in blocks.enumerated() where !Self.isOneDERStructure(block.der) {
            return "block \(number + 1) (\(block.label)) does not hold one DER structure"
        }
        let labels = blocks.map(\.label)
        switch self {
        case .certificates:
            if labels.contains(where: { $0.contains("PRIVATE KEY") }) { return "it holds a private key" }
            if let other = labels.first(where: { $0 != "CERTIFICATE" }) { return "it holds a '\(other)' block" }
        case .privateKey:
            if labels.contains("ENCRYPTED PRIVATE KEY") { return "the key is encrypted (gRPC cannot decrypt it)" }
            if labels.contains("CERTIFICATE") { return "it holds a certificate" }
            if let other = labels.first(where: { !Self.keyLabels.contains($0) }) { return "it holds a '\(other)' block" }
            if labels.count > 1 { return "it holds \(labels.count) keys" }
        }
        return nil
    }

    private struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The blocks of `text`, each label with its decoded body; text outside blocks is ignored.
    private static func blocks(in text: String) -> Result<[(label: String, der: Data)], Problem> {
        var blocks: [(label: String, der: Data)] = []
        var open: (label: String, body: String)?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let label = marker(line, "BEGIN") {
                if let open { return .failure(Problem(description: "the '\(open.label)' block has no END line")) }
                open = (label, "")
            } else if let label = marker(line, "END") {
                guard let block = open, block.label == label else {
                    return .failure(Problem(description: "an END line for '\(label)' has no matching BEGIN line"))
                }
                guard let der = Data(base64Encoded: block.body) else {
                    return .failure(Problem(description: "the '\(label)' block is not base64"))
                }
                blocks.append((label, der))
                open = nil
            } else if open != nil {
                // RFC 1421 headers (Proc-Type: 4,ENCRYPTED...) mark a key encrypted the legacy way.
                if line.contains(":") { return .failure(Problem(description: "the '\(open!.label)' block is encrypted or has headers")) }
                open!.body += line
            }
        }
        if let open { return .failure(Problem(description: "the '\(open.label)' block has no END line")) }
        return .success(blocks)
    }

    private static func marker(_ line: String, _ kind: String) -> String? {
        let prefix = "-----\(kind) "
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.count > prefix.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }

    /// Whether `der` is exactly one DER SEQUENCE (what certificates and keys are), by its header.
    private static func isOneDERStructure(_ der: Data) -> Bool {
        let bytes = [UInt8](der)
        guard bytes.count >= 2, bytes[0] == 0x30 else { return false }
        var length = Int(bytes[1])
        var header = 2
        if length >= 0x80 {
            let count = length & 0x7f
            guard (1...4).contains(count), bytes.count >= 2 + count else { return false }
            length = bytes[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) }
            header += count
        }
        return header + length == bytes.count
    }
}
