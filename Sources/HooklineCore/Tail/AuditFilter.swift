/// Which audit lines `hookline tail` shows.
package struct AuditFilter: Sendable, Hashable {
    package var outcomes: Set<AuditOutcome>
    package var event: String?
    package var contact: String?
    package var target: String?
    package var source: String?
    /// Lines at or after this time.
    package var since: UnixTime?
    /// Lines before this time.
    package var until: UnixTime?
    package var type: String?
    package var message: String?

    package init(
        outcomes: Set<AuditOutcome> = [],
        event: String? = nil,
        contact: String? = nil,
        target: String? = nil,
        source: String? = nil,
        since: UnixTime? = nil
    ) {
        self.outcomes = outcomes
        self.event = event
        self.contact = contact
        self.target = target
        self.source = source
        self.since = since
    }

    /// Whether `record` passes every criterion given.
    package func matches(_ record: AuditRecord) -> Bool {
        if !outcomes.isEmpty, !outcomes.contains(record.outcome) { return false }
        if let event, record.event != event, record.into != event { return false }
        if let contact, record.contact != contact { return false }
        if let target, record.target != target, !(record.targets ?? []).contains(target) { return false }
        if let source, record.source != source { return false }
        if let since, record.ts < since { return false }
        if let until, !(record.ts < until) { return false }
        if let type, record.type != type { return false }
        if let message, record.message != message { return false }
        return true
    }

    /// Parses `--outcome` values: repeated and/or comma-separated names.
    package static func outcomes(_ values: [String]) throws(AuditFilterError) -> Set<AuditOutcome> {
        var outcomes: Set<AuditOutcome> = []
        for name in values.flatMap({ $0.split(separator: ",") }).map({ String($0.trimmingWhitespace()) }) where !name.isEmpty {
            guard let outcome = AuditOutcome(rawValue: name) else {
                throw AuditFilterError(
                    message: "--outcome: unknown outcome '\(name)' (expected \(AuditOutcome.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            outcomes.insert(outcome)
        }
        return outcomes
    }

    /// Parses `--since`: a duration back from `now` (`10m`, `2h`) or an RFC 3339 time.
    package static func since(_ text: String, now: UnixTime) throws(AuditFilterError) -> UnixTime {
        try time(text, now: now, option: "--since")
    }

    /// Parses a time option: a duration back from `now` (`10m`, `2h`) or an RFC 3339 time.
    package static func time(_ text: String, now: UnixTime, option: String) throws(AuditFilterError) -> UnixTime {
        if let duration = ConfigurationValues.duration(text) { return now - duration }
        if let time = UnixTime(rfc3339: text) { return time }
        throw AuditFilterError(message: "\(option): expected a duration such as 10m or 2h, or a time such as 2026-11-22T07:00:00Z, got '\(text)'")
    }
}

/// A bad `hookline tail` filter.
package struct AuditFilterError: Error, Sendable, Hashable {
    package let message: String
}
