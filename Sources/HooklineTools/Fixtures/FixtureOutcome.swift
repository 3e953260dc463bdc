import HooklineCore

/// What became of one replayed fixture: its answer and, when accepted, its outcome per target.
package struct FixtureOutcome: Sendable {
    package struct TargetOutcome: Sendable, Hashable {
        package var target: String
        package var outcome: String
        package var status: Int?
        /// From receipt to the terminal line.
        package var milliseconds: Int?
        package var detail: String?
    }

    package var path: String
    package var source: String
    package var answer: Int
    /// The answer's `status` or `error`.
    package var answerText: String
    package var eventID: String?
    package var type: String?
    /// Filled once the event finished; empty for answers other than 202.
    package var targets: [TargetOutcome] = []

    package init(path: String, source: String, answer: Int, answerText: String, eventID: String?) {
        self.path = path
        self.source = source
        self.answer = answer
        self.answerText = answerText
        self.eventID = eventID
    }

    /// Fills `targets` (and `type`) from the audit log's lines for this event.
    package mutating func settle(from records: [AuditRecord]) {
        guard let eventID else { return }
        guard let received = records.first(where: { $0.outcome == .received && $0.event == eventID }) else { return }
        type = received.type
        targets = (received.targets ?? []).map { target in
            let terminal = records.last { $0.event == eventID && $0.target == target && $0.outcome.endsTargetJob }
            return TargetOutcome(
                target: target, outcome: terminal?.outcome.rawValue ?? "pending", status: terminal?.status,
                milliseconds: terminal.map { Int($0.ts.milliseconds - received.ts.milliseconds) }, detail: terminal?.error)
        }
    }

    static func shorten(_ text: String, to limit: Int = 72) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// Whether every accepted event has a terminal line for each target.
    package static func allSettled(_ outcomes: [FixtureOutcome], in records: [AuditRecord]) -> Bool {
        let finished = Set(records.filter(\.outcome.endsTargetJob).compactMap { record in record.event.map { "\($0)→\(record.target ?? "")" } })
        for outcome in outcomes {
            guard let eventID = outcome.eventID, outcome.answer == 202 else { continue }
            guard let received = records.first(where: { $0.outcome == .received && $0.event == eventID }) else { return false }
            for target in received.targets ?? [] where !finished.contains("\(eventID)→\(target)") { return false }
        }
        return true
    }

    /// One table row per target (or one for an answer that queued nothing).
    package static func table(_ outcomes: [FixtureOutcome]) -> TextTable {
        var table = TextTable(headers: ["FIXTURE", "EVENT", "SOURCE", "TYPE", "TARGET", "OUTCOME", "STATUS", "MS", "DETAIL"])
        for outcome in outcomes {
            let event = outcome.eventID.map { "…" + String($0.suffix(8)) } ?? "-"
            if outcome.targets.isEmpty {
                let (label, detail) =
                    outcome.answer >= 400
                    ? ("rejected", outcome.answerText) : (outcome.answer == 202 ? "pending" : outcome.answerText, "")
                table.add([
                    .init(outcome.path), .init(event), .init(outcome.source), .init(outcome.type ?? "-"), .init("-"),
                    .init(label, colour: TextTable.colour(for: label)), .init(String(outcome.answer)), .init("-"),
                    .init(Self.shorten(detail), colour: .dim),
                ])
            }
            for target in outcome.targets {
                table.add([
                    .init(outcome.path), .init(event), .init(outcome.source), .init(outcome.type ?? "-"), .init(target.target),
                    .init(target.outcome, colour: TextTable.colour(for: target.outcome)), .init(target.status.map(String.init) ?? "-"),
                    .init(target.milliseconds.map(String.init) ?? "-"), .init(Self.shorten(target.detail ?? ""), colour: .dim),
                ])
            }
        }
        return table
    }
}
