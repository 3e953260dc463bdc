/// What an alert says about its subject now.
package enum AlertState: String, Sendable, Hashable {
    /// The condition holds (for `consecutive_failures`, past `pause_at`: the target is paused).
    case firing
    /// `consecutive_failures` reached `warn_at`: a warning before anything is paused.
    case warning
    /// The condition no longer holds.
    case recovered
}

/// One alert to send: which rule, about what, in which state since when, with the figures that
/// made it. It carries names, counts and ids — never a payload, a secret or a contact's data.
package struct Alert: Sendable, Hashable {
    package var rule: String
    package var when: String
    /// `target` or `source`, and its name.
    package var subjectKind: String
    package var subject: String
    package var state: AlertState
    /// When the condition began (for `recovered`: when it had begun).
    package var since: MonotonicTime
    package var figures: [String: String]
    /// A repeat of an alert already sent (`repeat_every`).
    package var repeated = false
    /// Pause this target (`consecutive_failures` past `pause_at`).
    package var pause: String?
    package var channels: [String]

    package init(
        rule: String, when: String, subjectKind: String, subject: String, state: AlertState, since: MonotonicTime, figures: [String: String],
        repeated: Bool = false, pause: String? = nil, channels: [String]
    ) {
        self.rule = rule
        self.when = when
        self.subjectKind = subjectKind
        self.subject = subject
        self.state = state
        self.since = since
        self.figures = figures
        self.repeated = repeated
        self.pause = pause
        self.channels = channels
    }
}

/// The alert rules' memory: fed what happens (attempts, dead letters, signature failures, how
/// long the oldest job waits) and the time, it answers with the alerts to send. An alert is sent
/// when its state changes and once when it clears, not again while it holds unless the rule sets
/// `repeat_every`. A pure value: the runtime owns one and does what it says.
package struct AlertBook: Sendable {
    private struct Open: Sendable, Hashable {
        var state: AlertState
        var since: MonotonicTime
        var lastSent: MonotonicTime
        var figures: [String: String]
    }

    private struct RuleMemory: Sendable {
        var open: [String: Open] = [:]
        var streaks: [String: Int] = [:]
        var windows: [String: WindowCount] = [:]
    }

    package let rules: [AlertRule]
    private var memory: [RuleMemory]

    package init(rules: [AlertRule]) {
        self.rules = rules
        self.memory = Array(repeating: RuleMemory(), count: rules.count)
    }

    /// The book for `rules` (a reload): a rule that is unchanged keeps what it remembers (its
    /// open alerts, streaks and windows); a new or changed one starts afresh.
    package func replacing(rules next: [AlertRule]) -> AlertBook {
        var book = AlertBook(rules: next)
        for (index, rule) in next.enumerated() {
            if let old = rules.firstIndex(of: rule) { book.memory[index] = memory[old] }
        }
        return book
    }

    /// An attempt at `target` ended: it reached the target and succeeded, or it failed (an error
    /// status, a timeout, a refused connection).
    package mutating func attempt(at target: String, succeeded: Bool, now: MonotonicTime) -> [Alert] {
        var alerts: [Alert] = []
        for index in rules.indices {
            switch rules[index].condition {
            case .consecutiveFailures(let scope, let warnAt, let pauseAt) where scope.covers(target):
                let streak = succeeded ? 0 : (memory[index].streaks[target] ?? 0) + 1
                memory[index].streaks[target] = streak
                let figures = ["consecutive_failures": "\(streak)"]
                if succeeded {
                    alerts += clear(index, target, now: now, figures: figures)
                } else if let pauseAt, streak % pauseAt == 0 {
                    // Paused at `pause_at`; resumed and failing as long again, paused again.
                    alerts += raise(index, target, .firing, now: now, figures: figures, pause: target, again: streak > pauseAt)
                } else if streak == warnAt {
                    alerts += raise(index, target, .warning, now: now, figures: figures)
                }
            case .failureRate(let scope, _, let over, _) where scope.covers(target):
                memory[index].windows[target, default: WindowCount(over: over)].add(marked: !succeeded, now: now)
                alerts += judgeRate(index, target, now: now)
            case .deadLetter(let scope) where scope.covers(target) && succeeded:
                alerts += clear(index, target, now: now, figures: [:])
            default:
                continue
            }
        }
        return alerts
    }

    /// An event ended `dead` or `failed` at `target`: it will not be applied unless redriven.
    package mutating func deadLetter(at target: String, event: String, now: MonotonicTime) -> [Alert] {
        var alerts: [Alert] = []
        for index in rules.indices {
            guard case .deadLetter(let scope) = rules[index].condition, scope.covers(target) else { continue }
            alerts += raise(index, target, .firing, now: now, figures: ["event": event])
        }
        return alerts
    }

    /// A delivery to `source` failed its signature check.
    package mutating func signatureFailure(at source: String, now: MonotonicTime) -> [Alert] {
        var alerts: [Alert] = []
        for index in rules.indices {
            guard case .signatureFailures(let scope, _, let over) = rules[index].condition, scope.covers(source) else { continue }
            memory[index].windows[source, default: WindowCount(over: over)].add(now: now)
            alerts += judgeSignatures(index, source, now: now)
        }
        return alerts
    }

    /// How long `target`'s oldest waiting job has waited (zero when none waits), sampled.
    package mutating func oldestWaiting(at target: String, waited: Duration, now: MonotonicTime) -> [Alert] {
        var alerts: [Alert] = []
        for index in rules.indices {
            guard case .oldestWaiting(let scope, let above) = rules[index].condition, scope.covers(target) else { continue }
            let figures = ["oldest_waiting_seconds": "\(waited.wholeMilliseconds / 1000)"]
            alerts += waited > above ? raise(index, target, .firing, now: now - waited, figures: figures) : clear(index, target, now: now, figures: figures)
        }
        return alerts
    }

    /// Time passes: windows move on (a rate or a count can clear with nothing new happening),
    /// and alerts still firing are repeated where their rule says so.
    package mutating func tick(now: MonotonicTime) -> [Alert] {
        var alerts: [Alert] = []
        for index in rules.indices {
            switch rules[index].condition {
            case .failureRate:
                for target in memory[index].windows.keys.sorted() { alerts += judgeRate(index, target, now: now) }
            case .signatureFailures:
                for source in memory[index].windows.keys.sorted() { alerts += judgeSignatures(index, source, now: now) }
            default:
                break
            }
            guard let every = rules[index].repeatEvery else { continue }
            for subject in memory[index].open.keys.sorted() {
                guard var open = memory[index].open[subject], open.lastSent + every <= now else { continue }
                open.lastSent = now
                memory[index].open[subject] = open
                var alert = make(index, subject, open.state, since: open.since, figures: open.figures)
                alert.repeated = true
                alerts.append(alert)
            }
        }
        return alerts
    }

    /// The alerts firing or warning now, for the console and `/metrics`.
    package var open: [Alert] {
        var alerts: [Alert] = []
        for index in rules.indices {
            for (subject, open) in memory[index].open.sorted(by: { $0.key < $1.key }) {
                alerts.append(make(index, subject, open.state, since: open.since, figures: open.figures))
            }
        }
        return alerts
    }

    private mutating func judgeRate(_ index: Int, _ target: String, now: MonotonicTime) -> [Alert] {
        guard case .failureRate(_, let above, _, let minAttempts) = rules[index].condition,
            let window = memory[index].windows[target]
        else { return [] }
        let (attempts, failures) = window.counts(now: now)
        let rate = attempts > 0 ? Double(failures) / Double(attempts) : 0
        let figures = ["attempts": "\(attempts)", "failures": "\(failures)", "failure_rate": Self.format(rate)]
        if attempts == 0 { memory[index].windows[target] = nil }
        return attempts >= minAttempts && rate > above
            ? raise(index, target, .firing, now: now, figures: figures) : clear(index, target, now: now, figures: figures)
    }

    private mutating func judgeSignatures(_ index: Int, _ source: String, now: MonotonicTime) -> [Alert] {
        guard case .signatureFailures(_, let above, _) = rules[index].condition, let window = memory[index].windows[source] else { return [] }
        let failures = window.counts(now: now).total
        if failures == 0 { memory[index].windows[source] = nil }
        let figures = ["signature_failures": "\(failures)"]
        return failures > above ? raise(index, source, .firing, now: now, figures: figures) : clear(index, source, now: now, figures: figures)
    }

    /// The alert for a state `subject` enters, unless it is in that state already (and not `again`).
    private mutating func raise(
        _ index: Int, _ subject: String, _ state: AlertState, now: MonotonicTime, figures: [String: String], pause: String? = nil,
        again: Bool = false
    ) -> [Alert] {
        if let open = memory[index].open[subject] {
            guard open.state != state || again else {
                memory[index].open[subject]?.figures = figures
                return []
            }
            memory[index].open[subject] = Open(state: state, since: open.since, lastSent: now, figures: figures)
            var alert = make(index, subject, state, since: open.since, figures: figures)
            alert.pause = pause
            return [alert]
        }
        memory[index].open[subject] = Open(state: state, since: now, lastSent: now, figures: figures)
        var alert = make(index, subject, state, since: now, figures: figures)
        alert.pause = pause
        return [alert]
    }

    /// The `recovered` alert for `subject`, if it had one open.
    private mutating func clear(_ index: Int, _ subject: String, now: MonotonicTime, figures: [String: String]) -> [Alert] {
        guard let open = memory[index].open.removeValue(forKey: subject) else { return [] }
        return [make(index, subject, .recovered, since: open.since, figures: figures)]
    }

    private func make(_ index: Int, _ subject: String, _ state: AlertState, since: MonotonicTime, figures: [String: String]) -> Alert {
        let rule = rules[index]
        let kind = if case .signatureFailures = rule.condition { "source" } else { "target" }
        return Alert(
            rule: rule.name, when: rule.condition.when, subjectKind: kind, subject: subject, state: state, since: since, figures: figures,
            channels: rule.to)
    }

    /// A fraction with two decimals, the same on every platform.
    package static func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
