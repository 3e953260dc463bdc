/// The classification the three CRMs share: 2xx applied; 408, 425, 429 and 5xx retried (after
/// what the target asked for); 401 refreshes OAuth credentials once; other 4xx are permanent.
enum ResponseClassifier {
    static func classify(
        _ response: TargetResponse,
        delayHeaders: [String],
        refreshesOn401: Bool,
        secrets: [String]
    ) -> CallVerdict {
        switch response.status {
        case 200..<300:
            return .success(learned: nil)
        case 408, 425, 429, 500..<600:
            let delay = delayHeaders.lazy.compactMap { response.header($0) }.compactMap(Self.seconds).first
            return .retry(after: delay, reason: ErrorExcerpt.describe(response, secrets: secrets))
        case 401 where refreshesOn401:
            return .refreshCredentials
        default:
            return .permanent(reason: ErrorExcerpt.describe(response, secrets: secrets))
        }
    }

    /// A delay header in seconds (`2`, `1.5`).
    static func seconds(_ text: String) -> Duration? {
        guard let value = Double(text.trimmingWhitespace()), value >= 0, value < 86_400 else { return nil }
        return .milliseconds(Int64((value * 1000).rounded(.up)))
    }
}

/// A short, single-line, secret-free description of a target's error answer.
package enum ErrorExcerpt {
    package static let limit = 300

    package static func describe(_ response: TargetResponse, secrets: [String]) -> String {
        var text = "HTTP \(response.status)"
        if let detail = detail(response.body), !detail.isEmpty { text += ": " + detail }
        for secret in secrets where secret.count >= 4 {
            text = text.split(separator: secret, omittingEmptySubsequences: false).joined(separator: "[redacted]")
        }
        return truncated(text)
    }

    /// `text` cut to `limit` characters, with `…` when it was longer.
    package static func truncated(_ text: String, to limit: Int = limit) -> String {
        text.utf8.count <= limit || text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// `message` / `error` and Laravel-style `errors`, else the body's first characters.
    private static func detail(_ body: [UInt8]) -> String? {
        guard !body.isEmpty else { return nil }
        if let json = try? JSONParser.parse(body) {
            var parts: [String] = []
            for key in ["message", "error", "error_description"] {
                if let text = json[key]?.stringValue { parts.append(text) }
            }
            if let errors = json["errors"]?.objectValue {
                let fields = errors.members.map { member -> String in
                    let messages = member.value.arrayValue?.compactMap(\.stringValue) ?? [member.value.stringValue].compactMap { $0 }
                    return "\(member.key): \(messages.joined(separator: " "))"
                }
                parts.append("(" + fields.joined(separator: "; ") + ")")
            }
            if !parts.isEmpty { return parts.joined(separator: " ") }
        }
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        return text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\t" }).joined(separator: " ")
    }
}
