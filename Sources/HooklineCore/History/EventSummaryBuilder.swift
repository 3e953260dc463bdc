/// Builds event summaries from audit lines read newest first (the way the console pages back
/// through a log): a target's first line seen is its latest, and an event's opening, seen after
/// all its later lines, completes it. Holds only events whose opening is still ahead.
package struct EventSummaryBuilder: Sendable {
    struct Seen: Sendable {
        var state: AuditOutcome
        var attempts: Int
        var status: Int?
    }

    /// Per event, per target: its latest line.
    private var latest: [String: [String: Seen]] = [:]
    /// Events whose (newest) opening was already returned: an older opening is a redriven
    /// event's first receipt.
    private var opened: Set<String> = []

    package init() {}

    /// Events read past whose opening is still ahead.
    package var pending: Int { latest.count }

    /// Takes the next line, newest first; an event's summary once its opening is read.
    package mutating func add(newestFirst record: AuditRecord) -> EventSummary? {
        guard let event = record.event else { return nil }
        switch record.outcome {
        case .received, .redriven:
            guard opened.insert(event).inserted else { return nil }
            return Self.summary(of: record, latest: latest.removeValue(forKey: event) ?? [:])
        case .retry, .applied, .skipped, .failed, .dead, .fenced:
            // Lines older than an opening already returned belong to the event's earlier round.
            guard let target = record.target, !opened.contains(event) else { return nil }
            // A fenced line records a call whose outcome another holder wrote: not a state.
            if record.outcome == .fenced { return nil }
            if latest[event]?[target] == nil {
                latest[event, default: [:]][target] = Seen(state: record.outcome, attempts: record.attempt ?? 0, status: record.status)
            }
            return nil
        default:
            return nil
        }
    }

    /// The summary of an opening, given its targets' latest lines.
    static func summary(of opening: AuditRecord, latest: [String: Seen]) -> EventSummary {
        let targets = (opening.targets ?? []).map { target in
            latest[target].map { EventSummary.TargetState(target: target, state: $0.state, attempts: $0.attempts, status: $0.status) }
                ?? EventSummary.TargetState(target: target, state: .pending)
        }
        return EventSummary(
            id: opening.event ?? "", ts: opening.ts, source: opening.source ?? "", type: opening.type ?? "", contact: opening.contact ?? "",
            message: opening.message, redriven: opening.outcome == .redriven, targets: targets)
    }
}
