/// One audit line as a human-readable row for `hookline tail`:
/// `2026-11-22 08:19:10.074  applied   evt_…  buildr → plannr  contact.create  2279  #1 201 7ms  POST /contact-details`.
package enum AuditLineFormatter {
    /// ANSI colour codes by outcome (only used on a terminal).
    static func colourCode(_ outcome: AuditOutcome) -> String {
        switch outcome {
        case .applied: "32"
        case .retry, .coalesced, .duplicate, .recovered, .redriven, .pending, .created: "33"
        case .failed, .dead, .rejected, .fenced, .paused: "31"
        case .erased: "35"
        case .received: "36"
        case .skipped, .ignored, .seen: "2"
        case .resumed: "32"
        }
    }

    /// The row; every field from the log is escaped for the terminal (`TerminalText`), and only
    /// the outcome's own colour code is left raw.
    package static func format(_ record: AuditRecord, colour: Bool) -> String {
        let time = record.ts.rfc3339.replacingFirst("T", with: " ").dropLast()
        let outcome = record.outcome.rawValue.padding(to: 9)
        var columns = [String(time), colour ? "\u{1B}[\(colourCode(record.outcome))m\(outcome)\u{1B}[0m" : outcome]
        columns.append(shown(record.event ?? "-").padding(to: 30))
        var route = shown(record.source ?? "-")
        if let target = record.target {
            route += " → \(shown(target))"
        } else if let targets = record.targets {
            route += " → \(shown(targets.joined(separator: ",")))"
        }
        columns.append(route.padding(to: 24))
        columns.append(shown(record.type ?? "-").padding(to: 16))
        columns.append(shown(record.contact ?? "-").padding(to: 12))
        var numbers: [String] = []
        if let attempt = record.attempt { numbers.append("#\(attempt)") }
        if let status = record.status { numbers.append(String(status)) }
        if let count = record.count { numbers.append("×\(count)") }
        if let ms = record.ms { numbers.append("\(ms)ms") }
        if let retry = record.retryInMs { numbers.append("retry in \(retry)ms") }
        columns.append(numbers.joined(separator: " ").padding(to: 12))
        var detail: [String] = []
        if let request = record.request { detail.append(shown(request)) }
        if let ref = record.ref { detail.append("ref \(shown(ref))") }
        if let into = record.into { detail.append("into \(shown(into))") }
        if let error = record.error {
            detail.append(shown(error))
        } else if let reason = record.reason {
            detail.append(shown(reason))
        }
        if let erased = record.erased {
            detail.append("erased \(erased.rfc3339)\(record.erasedReason.map { ": \(shown($0))" } ?? "")")
        } else if let kept = record.payloadKept {
            detail.append("payload \(kept.rawValue)")
        }
        if let remote = record.remote { detail.append("from \(shown(remote))") }
        if let by = record.by { detail.append("by \(shown(by))") }
        columns.append(detail.joined(separator: " · "))
        return columns.joined(separator: "  ").trimmingTrailingSpaces()
    }

    private static func shown(_ text: String) -> String { TerminalText.escaping(text) }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    fileprivate func replacingFirst(_ target: Character, with replacement: Character) -> String {
        guard let index = firstIndex(of: target) else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: String(replacement))
        return copy
    }

    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
