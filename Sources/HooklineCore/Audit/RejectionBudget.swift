/// How many `rejected` lines refused requests may write, so that nobody — authenticated or not —
/// can fill the disk that holds the journal by sending bad requests.
///
/// In each window, at most `linesPerReason` lines are written per source and reason, and
/// `linesTotal` in all. Past either, rejections are only counted; when the window ends, each
/// source and reason that lost lines gets one summary line with the count. Every rejection is
/// still counted in the metrics. Sources are the configured names plus one `unknown`, and
/// reasons are Hookline's own, so the summaries per window are bounded too.
package struct RejectionBudget: Sendable {
    /// The budget.
    package struct Limits: Sendable, Hashable {
        package var linesPerReason: Int
        package var linesTotal: Int
        package var window: Duration

        package init(linesPerReason: Int = 20, linesTotal: Int = 120, window: Duration = .seconds(60)) {
            self.linesPerReason = linesPerReason
            self.linesTotal = linesTotal
            self.window = window
        }
    }

    /// What a budget is kept per: a source (as its metric label) and a reason.
    package struct Key: Sendable, Hashable {
        package var source: String
        package var reason: String

        package init(source: String, reason: String) {
            self.source = source
            self.reason = reason
        }
    }

    /// The lines one source and reason did not write in a window that has ended.
    package struct Suppressed: Sendable, Hashable {
        package var key: Key
        package var count: Int
        /// The status those requests were answered.
        package var status: Int
        /// When the window began.
        package var since: UnixTime

        package init(key: Key, count: Int, status: Int, since: UnixTime) {
            self.key = key
            self.count = count
            self.status = status
            self.since = since
        }
    }

    /// A rejection's fate, and the summaries of a window that ended just before it.
    package struct Admission: Sendable, Hashable {
        package var write: Bool
        package var ended: [Suppressed]
    }

    package let limits: Limits
    private var window: (start: ContinuousClock.Instant, since: UnixTime)?
    private var written: [Key: Int] = [:]
    private var writtenTotal = 0
    private var suppressed: [Key: (count: Int, status: Int)] = [:]

    package init(limits: Limits) {
        self.limits = limits
    }

    /// Counts one rejection at `now` (monotonic, for the window) and `wallClock` (for the lines).
    package mutating func admit(_ key: Key, status: Int, now: ContinuousClock.Instant, wallClock: UnixTime) -> Admission {
        let ended = endWindow(ifDueAt: now)
        if window == nil { window = (now, wallClock) }
        let count = written[key, default: 0]
        guard count < limits.linesPerReason, writtenTotal < limits.linesTotal else {
            suppressed[key, default: (0, status)].count += 1
            suppressed[key]?.status = status
            return Admission(write: false, ended: ended)
        }
        written[key] = count + 1
        writtenTotal += 1
        return Admission(write: true, ended: ended)
    }

    /// The summaries of the current window if it has ended by `now` (a timer calls this, so a
    /// flood's last window is reported even when nothing follows it); the next rejection opens a
    /// new window.
    package mutating func endWindow(ifDueAt now: ContinuousClock.Instant) -> [Suppressed] {
        guard let current = window, now - current.start >= limits.window else { return [] }
        let ended = suppressed.map { Suppressed(key: $0.key, count: $0.value.count, status: $0.value.status, since: current.since) }
            .sorted { ($0.key.source, $0.key.reason) < ($1.key.source, $1.key.reason) }
        window = nil
        written.removeAll(keepingCapacity: true)
        writtenTotal = 0
        suppressed.removeAll(keepingCapacity: true)
        return ended
    }
}

extension RejectionBudget.Suppressed {
    /// The summary line: `"outcome":"rejected","reason":"suppressed","count":N`.
    package func record(at ts: UnixTime, limits: RejectionBudget.Limits) -> AuditRecord {
        AuditRecord(
            ts: ts, outcome: .rejected, source: key.source, status: status, count: count, reason: "suppressed",
            error: "\(count) more rejected request\(count == 1 ? "" : "s") (\(key.reason), HTTP \(status)) since \(since.rfc3339) "
                + "were not logged: each \(limits.window.configurationText) at most \(limits.linesPerReason) lines per source and reason, "
                + "\(limits.linesTotal) in all, are written")
    }
}
