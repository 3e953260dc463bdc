/// Chooses what `hookline redrive` queues again: the targets of events whose last terminal line
/// is `dead` (or `failed`), as self-contained `redriven` records carrying the payload.
package struct RedriveSelection: Sendable {
    private struct Event: Sendable {
        var opening: AuditRecord?
        /// The latest terminal line per target.
        var terminal: [String: AuditRecord] = [:]
        var attempts: [String: Int] = [:]
    }

    private var events: [String: Event] = [:]
    private var order: [String] = []

    package init() {}

    /// Feeds one line of the log, in file order.
    package mutating func add(_ record: AuditRecord) {
        guard let id = record.event else { return }
        var entry = events[id] ?? Event()
        if events[id] == nil { order.append(id) }
        switch record.outcome {
        case .received, .redriven:
            // An opening erased or kept without its payload is selected too: the redrive then
            // says why it cannot be queued, rather than that the line is missing.
            if record.payload != nil || record.erased != nil || record.payloadKept != nil { entry.opening = record }
            // A redrive reopens its targets: their earlier ends no longer count.
            if record.outcome == .redriven { for target in record.targets ?? [] { entry.terminal[target] = nil } }
        case .retry, .applied, .skipped, .failed, .dead:
            guard let target = record.target else { return }
            if let attempt = record.attempt { entry.attempts[target] = max(entry.attempts[target] ?? 0, attempt) }
            if record.outcome.endsTargetJob { entry.terminal[target] = record }
        default:
            break
        }
        events[id] = entry
    }

    /// One `redriven` record per event with selected targets, at `now`.
    package func select(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) -> [AuditRecord] {
        var selected: [AuditRecord] = []
        for id in order {
            guard event == nil || event == id, let entry = events[id], let opening = entry.opening else { continue }
            let targets = (opening.targets ?? []).filter { target in
                guard let end = entry.terminal[target], outcomes.contains(end.outcome) else { return false }
                return since.map { end.ts >= $0 } ?? true
            }
            guard !targets.isEmpty else { continue }
            var record = opening
            record.ts = now
            record.outcome = .redriven
            record.targets = targets
            record.attempt = targets.compactMap { entry.attempts[$0] }.max() ?? 0
            record.reason = nil
            record.error = nil
            selected.append(record)
        }
        return selected
    }

    /// Events in the log without their payload line (rotated away): they cannot be redriven from this file.
    package func missingPayload(outcomes: Set<AuditOutcome>, event: String?) -> [String] {
        order.filter { id in
            guard event == nil || event == id, let entry = events[id], entry.opening == nil else { return false }
            return entry.terminal.values.contains { outcomes.contains($0.outcome) }
        }
    }
}
