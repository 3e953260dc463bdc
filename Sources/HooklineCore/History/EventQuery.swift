/// Which events the console lists (and its API returns): each criterion given must hold. The
/// filters of `hookline tail`, as URL query items, so a view can be linked and bookmarked.
package struct EventQuery: Sendable, Hashable {
    package var source: String?
    package var type: String?
    /// Events routed to this target.
    package var target: String?
    package var contact: String?
    package var message: String?
    package var event: String?
    /// Events with a target (the `target`, when given) whose latest state is this: `applied`,
    /// `skipped`, `failed`, `dead`, `retry`, or `pending` (not yet attempted).
    package var outcome: AuditOutcome?
    /// Received at or after.
    package var since: UnixTime?
    /// Received before.
    package var until: UnixTime?
    /// Where the previous page ended (a store's own cursor).
    package var before: String?

    /// The states `outcome` may name.
    package static let states: [AuditOutcome] = [.applied, .skipped, .failed, .dead, .retry, .pending]
    /// The query keys, in the order links write them.
    package static let keys = ["source", "type", "target", "outcome", "contact", "message", "event", "since", "until", "before"]

    package init(
        source: String? = nil, type: String? = nil, target: String? = nil, contact: String? = nil, message: String? = nil, event: String? = nil,
        outcome: AuditOutcome? = nil, since: UnixTime? = nil, until: UnixTime? = nil, before: String? = nil
    ) {
        self.source = source
        self.type = type
        self.target = target
        self.contact = contact
        self.message = message
        self.event = event
        self.outcome = outcome
        self.since = since
        self.until = until
        self.before = before
    }

    /// Reads `?source=…&outcome=dead&since=2h`: empty values are absent; `since` and `until`
    /// are a duration back from `now` (`2h`) or an RFC 3339 time. Unknown keys and bad values
    /// are errors that name them.
    package init(items: [(String, String)], now: UnixTime) throws(EventQueryError) {
        self.init()
        for (key, raw) in items {
            let value = String(raw.trimmingWhitespace())
            guard !value.isEmpty else { continue }
            guard value.utf8.count <= 256 else { throw EventQueryError("\(key): at most 256 characters") }
            switch key {
            case "source": source = value
            case "type": type = value
            case "target": target = value
            case "contact": contact = value
            case "message": message = value
            case "event": event = value
            case "before": before = value
            case "outcome":
                guard let state = AuditOutcome(rawValue: value), Self.states.contains(state) else {
                    throw EventQueryError("outcome: expected one of \(Self.states.map(\.rawValue).joined(separator: ", ")), got '\(value)'")
                }
                outcome = state
            case "since", "until":
                let time: UnixTime
                do {
                    time = try AuditFilter.since(value, now: now)
                } catch {
                    throw EventQueryError("\(key): expected a duration such as 10m or 2h, or a time such as 2026-11-22T07:00:00Z, got '\(value)'")
                }
                if key == "since" { since = time } else { until = time }
            default:
                throw EventQueryError("unknown filter '\(key)' (filters: \(Self.keys.joined(separator: ", ")))")
            }
        }
    }

    /// The query as URL items, in `keys` order; without the cursor unless `cursor`.
    package func items(cursor: Bool = false) -> [(String, String)] {
        var items: [(String, String)] = []
        for (key, value) in [
            ("source", source), ("type", type), ("target", target), ("outcome", outcome?.rawValue), ("contact", contact), ("message", message),
            ("event", event), ("since", since?.rfc3339), ("until", until?.rfc3339), ("before", cursor ? before : nil),
        ] {
            if let value { items.append((key, value)) }
        }
        return items
    }

    /// Whether no criterion is given (the cursor aside).
    package var isEmpty: Bool { items().isEmpty }

    /// Whether `summary` passes every criterion given.
    package func matches(_ summary: EventSummary) -> Bool {
        if let source, summary.source != source { return false }
        if let type, summary.type != type { return false }
        if let contact, summary.contact != contact { return false }
        if let message, summary.message != message { return false }
        if let event, summary.id != event { return false }
        if let since, summary.ts < since { return false }
        if let until, !(summary.ts < until) { return false }
        let states = summary.targets.filter { target == nil || $0.target == target }
        if target != nil, states.isEmpty { return false }
        if let outcome, !states.contains(where: { $0.state == outcome }) { return false }
        return true
    }
}

/// A filter the console cannot use, worded for the person who typed it.
package struct EventQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

/// One event as the console lists it: its opening, and where each target stands.
package struct EventSummary: Sendable, Hashable {
    /// One target's latest state.
    package struct TargetState: Sendable, Hashable {
        package var target: String
        /// Its latest line's outcome (`retry` while retrying, a terminal one once done), or
        /// `pending` when not attempted yet.
        package var state: AuditOutcome
        /// Attempts made so far.
        package var attempts: Int
        /// The last answer's status, if there was one.
        package var status: Int?

        package init(target: String, state: AuditOutcome, attempts: Int = 0, status: Int? = nil) {
            self.target = target
            self.state = state
            self.attempts = attempts
            self.status = status
        }
    }

    package var id: String
    /// When it was received (or redriven, for a redrive's opening).
    package var ts: UnixTime
    package var source: String
    package var type: String
    package var contact: String
    package var message: String?
    /// Whether its latest opening is a redrive.
    package var redriven: Bool
    package var targets: [TargetState]

    package init(
        id: String, ts: UnixTime, source: String, type: String, contact: String, message: String?, redriven: Bool, targets: [TargetState]
    ) {
        self.id = id
        self.ts = ts
        self.source = source
        self.type = type
        self.contact = contact
        self.message = message
        self.redriven = redriven
        self.targets = targets
    }
}

/// A page of events, newest first, and where the next one starts.
package struct EventPage: Sendable, Hashable {
    package var events: [EventSummary]
    /// The cursor of the next (older) page; nil when there is none.
    package var next: String?
    /// How far back this page looked (a page that ran out of its read budget before it was full
    /// says so, and `next` continues from there).
    package var searchedBackTo: UnixTime?

    package init(events: [EventSummary], next: String?, searchedBackTo: UnixTime? = nil) {
        self.events = events
        self.next = next
        self.searchedBackTo = searchedBackTo
    }
}

/// Everything kept about one event: its opening (with its payload) and every line about it,
/// oldest first.
package struct EventDetail: Sendable, Hashable {
    package var opening: AuditRecord
    package var lines: [AuditRecord]

    package init(opening: AuditRecord, lines: [AuditRecord]) {
        self.opening = opening
        self.lines = lines
    }

    /// Where each target stands, from the lines.
    package var summary: EventSummary {
        var builder = EventSummaryBuilder()
        for line in lines.reversed() { _ = builder.add(newestFirst: line) }
        return builder.add(newestFirst: opening) ?? EventSummaryBuilder.summary(of: opening, latest: [:])
    }
}
