import Foundation
import HooklineCore
import PostgresNIO

extension PostgresStore {
    /// Each target's latest job of an event, as `target|state|attempts`: a done job's outcome,
    /// `retry` once attempted, else `pending`. A job's `attempt` counts the attempts before its
    /// last: a finished job made one more.
    private static let targetStates = """
        coalesce((SELECT array_agg(j.target || '|' || (CASE WHEN j.done THEN coalesce(j.outcome, 'applied') WHEN j.attempt > 0 THEN 'retry' ELSE 'pending' END) || '|' || (j.attempt + CASE WHEN j.done THEN 1 ELSE 0 END) ORDER BY j.id)
            FROM hookline_jobs j WHERE j.event_id = e.id AND j.id IN (SELECT max(id) FROM hookline_jobs WHERE event_id = e.id GROUP BY target)), '{}')
        """

    /// The fleet's events within `store.retention`, newest first, by the events' own index; a
    /// cursor is `<received_at ms>:<id>`.
    package func events(_ query: EventQuery, limit: Int) async throws(JournalFailure) -> EventPage {
        var cursorTime: Date?
        var cursorID: String?
        if let before = query.before {
            let parts = before.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let milliseconds = Int64(parts[0]) else { throw JournalFailure("before: not a cursor this console made") }
            cursorTime = Date(UnixTime(milliseconds: milliseconds))
            cursorID = String(parts[1])
        }
        let (since, until) = (query.since.map(Date.init), query.until.map(Date.init))
        let rows = try await database.query(
            """
            SELECT e.id, e.received_at, e.source, e.type, e.contact, e.message, e.targets, \(unescaped: Self.targetStates)
            FROM hookline_events e
            WHERE (\(query.source)::text IS NULL OR e.source = \(query.source))
              AND (\(query.type)::text IS NULL OR e.type = \(query.type))
              AND (\(query.contact)::text IS NULL OR e.contact = \(query.contact))
              AND (\(query.message)::text IS NULL OR e.message = \(query.message))
              AND (\(query.event)::text IS NULL OR e.id = \(query.event))
              AND (\(query.target)::text IS NULL OR \(query.target) = ANY (e.targets))
              AND (\(since)::timestamptz IS NULL OR e.received_at >= \(since))
              AND (\(until)::timestamptz IS NULL OR e.received_at < \(until))
              AND (\(cursorTime)::timestamptz IS NULL OR (e.received_at, e.id) < (\(cursorTime), \(cursorID)))
            ORDER BY e.received_at DESC, e.id DESC
            LIMIT \(query.outcome == nil ? limit : limit * 20)
            """, "console_events")
        var events = try PostgresJournal.decodeAll(rows) { row in
            let states = try row[7].decode([String].self)
            let latest = Dictionary(
                states.compactMap { text -> (String, EventSummary.TargetState)? in
                    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
                    guard parts.count == 3, let state = AuditOutcome(rawValue: String(parts[1])) else { return nil }
                    return (String(parts[0]), EventSummary.TargetState(target: String(parts[0]), state: state, attempts: Int(parts[2]) ?? 0))
                }, uniquingKeysWith: { $1 })
            let targets = try row[6].decode([String].self)
            return EventSummary(
                id: try row[0].decode(String.self), ts: UnixTime(try row[1].decode(Date.self)), source: try row[2].decode(String.self),
                type: try row[3].decode(String.self), contact: try row[4].decode(String.self), message: try row[5].decode(String?.self),
                redriven: false, targets: targets.map { latest[$0] ?? EventSummary.TargetState(target: $0, state: .pending) })
        }
        // The state filter is applied here, over a wider read; a page it leaves short says how
        // far back it looked, and its cursor goes on from there.
        let fetched = events.count
        events = events.filter(query.matches)
        if events.count >= limit {
            events = Array(events.prefix(limit))
            return EventPage(events: events, next: events.last.map { "\($0.ts.milliseconds):\($0.id)" })
        }
        guard fetched == (query.outcome == nil ? limit : limit * 20), let row = rows.last?.makeRandomAccess() else {
            return EventPage(events: events, next: nil)
        }
        do {
            let (id, time) = (try row[0].decode(String.self), UnixTime(try row[1].decode(Date.self)))
            return EventPage(events: events, next: "\(time.milliseconds):\(id)", searchedBackTo: time)
        } catch {
            throw JournalFailure("a row from the database cannot be read: \(error)")
        }
    }

    /// From the fleet's jobs: those that ended over the last day (by their own index; counted
    /// at most every `healthCountsFor`), those not finished, and the lanes' heads (each time).
    package func targetHealth() async throws -> [String: TargetHealth] {
        var all = try await endedCounts()
        let open = try await database.query("SELECT target, count(*) FROM hookline_jobs WHERE NOT done GROUP BY target", "console_waiting")
        for (target, count) in try PostgresJournal.decodeAll(open, { (try $0[0].decode(String.self), try $0[1].decode(Int.self)) }) {
            all[target, default: TargetHealth()].waiting = count
        }
        for (target, oldest) in try await oldestWaiting() { all[target, default: TargetHealth()].oldestWaiting = oldest }
        return all
    }

    private func endedCounts() async throws -> [String: TargetHealth] {
        if let cached = healthCounts.withLock({ $0 }), ContinuousClock.now - cached.at < Self.healthCountsFor { return cached.counts }
        let ended = try await database.query(
            """
            SELECT target,
                count(*) FILTER (WHERE outcome = 'applied' AND finished_at > now() - interval '1 hour'),
                count(*) FILTER (WHERE outcome IN ('applied', 'failed', 'dead') AND finished_at > now() - interval '1 hour'),
                count(*) FILTER (WHERE outcome = 'applied'),
                count(*) FILTER (WHERE outcome IN ('applied', 'failed', 'dead')),
                max(finished_at) FILTER (WHERE outcome = 'applied')
            FROM hookline_jobs WHERE done AND finished_at > now() - interval '1 day'
            GROUP BY target
            """, "console_target_health")
        var all: [String: TargetHealth] = [:]
        for row in ended {
            let cells = row.makeRandomAccess()
            do {
                all[try cells[0].decode(String.self)] = TargetHealth(
                    hour: .init(applied: try cells[1].decode(Int.self), ended: try cells[2].decode(Int.self)),
                    day: .init(applied: try cells[3].decode(Int.self), ended: try cells[4].decode(Int.self)),
                    lastApplied: try cells[5].decode(Date?.self).map(UnixTime.init))
            } catch {
                throw JournalFailure("a row from the database cannot be read: \(error)")
            }
        }
        let counted = all
        healthCounts.withLock { $0 = (ContinuousClock.now, counted) }
        return all
    }

    /// The event's row and, as lines, where each of its jobs stands (the attempt lines
    /// themselves are in the audit logs of the instances that made them).
    package func event(_ id: String) async throws(JournalFailure) -> EventDetail? {
        let rows = try await database.query(
            "SELECT \(unescaped: PostgresJournal.eventColumns) FROM hookline_events WHERE id = \(id)", "console_event")
        guard let row = rows.first else { return nil }
        let opening: AuditRecord
        do {
            opening = try PostgresJournal.event(row.makeRandomAccess())
        } catch {
            throw JournalFailure("the event's row cannot be read: \(error)")
        }
        let jobs = try await database.query(
            "SELECT target, attempt, done, outcome, finished_at FROM hookline_jobs WHERE event_id = \(id) ORDER BY id", "console_event_jobs")
        let lines = try PostgresJournal.decodeAll(jobs) { job -> AuditRecord? in
            let (target, attempt, done) = (try job[0].decode(String.self), try job[1].decode(Int.self), try job[2].decode(Bool.self))
            if done, let outcome = AuditOutcome(rawValue: try job[3].decode(String?.self) ?? "applied") {
                let finished = try job[4].decode(Date?.self).map(UnixTime.init) ?? opening.ts
                return AuditRecord(
                    ts: finished, outcome: outcome, event: id, source: opening.source, contact: opening.contact, target: target, attempt: attempt + 1)
            }
            return attempt > 0
                ? AuditRecord(ts: opening.ts, outcome: .retry, event: id, source: opening.source, contact: opening.contact, target: target, attempt: attempt)
                : nil
        }
        return EventDetail(opening: opening, lines: lines.compactMap { $0 })
    }
}
