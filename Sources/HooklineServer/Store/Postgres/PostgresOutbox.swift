import Foundation
import HooklineCore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Copies the lines this instance committed to the outbox (openings, terminal lines) into its
/// own audit log, then deletes them there. At start, what a crash left is copied — skipping
/// any line the log already holds — so no committed line is lost, and none is written twice.
package final class PostgresOutbox: Sendable {
    private let store: PostgresDatabase
    let log: AuditLogWriter
    /// Outbox rows written to the log and synced, waiting to be deleted.
    private let written = Mutex<[Int64]>([])
    /// Outbox rows on their way to the log or waiting to be deleted: the sweep leaves them be.
    private let known = Mutex(KnownRows())
    /// Events whose opening this instance is committing now, with the terminal lines that came
    /// for them before the opening went to the log (another worker, even of this instance, may
    /// claim and finish a job the moment its commit lands). They wait for it, so this log never
    /// shows an event's end before its start.
    private let openings = Mutex<[String: [(seq: Int64?, line: [UInt8])]]>([:])

    /// How old an outbox row of this instance's must be before the sweep takes it for one whose
    /// commit's answer was lost: far past the query timeout, so no answer can still arrive.
    static let sweepAge: Duration = .seconds(30)

    init(store: PostgresDatabase, log: AuditLogWriter) {
        self.store = store
        self.log = log
    }

    /// Writes committed lines to the log; once they are on disk their rows go.
    func copy(_ entries: [(seq: Int64, line: [UInt8])]) {
        write(entries.map { (Optional($0.seq), $0.line) })
    }

    /// Writes lines in this order: those with a seq are outbox rows (deleted once on disk), the
    /// others lines of this instance's own that are not in the outbox (a retry, a takeover).
    private func write(_ entries: [(seq: Int64?, line: [UInt8])]) {
        guard !entries.isEmpty else { return }
        let seqs = entries.compactMap(\.seq)
        known.withLock { $0.rows.formUnion(seqs) }
        log.appendDurably(lines: entries.map(\.line)) { [self] failure in
            if failure == nil {
                written.withLock { $0 += seqs }
            } else {
                // Unwritten rows stay in the outbox; the sweep (or the next start) copies them.
                known.withLock { $0.forget(seqs) }
            }
        }
    }

    /// Before committing openings: terminal lines for these events wait for them.
    func expectOpenings(_ events: [String]) {
        openings.withLock { openings in
            for event in events where openings[event] == nil { openings[event] = [] }
        }
    }

    /// Whether `event`'s opening is being committed here and not yet on its way to the log.
    func isOpening(_ event: String) -> Bool { openings.withLock { $0[event] != nil } }

    /// After the openings' lines went to the log (or their commit failed): the terminal lines
    /// that waited for them follow.
    func openingsWritten(_ events: [String]) {
        let waiting = openings.withLock { openings in events.flatMap { openings.removeValue(forKey: $0) ?? [] } }
        write(waiting)
    }

    /// Writes a line about `event` — a committed terminal line (with its outbox seq) or one of
    /// this instance's own — after the event's opening when that is still on its way.
    func writeAfterOpening(_ entry: (seq: Int64?, line: [UInt8]), event: String?) {
        let waits = event.map { event in
            openings.withLock { openings -> Bool in
                guard openings[event] != nil else { return false }
                openings[event]?.append(entry)
                return true
            }
        } ?? false
        if !waits { write([entry]) }
    }

    /// Copies this instance's outbox rows that nothing here is writing and that are older than
    /// `age`: lines whose commit's answer never arrived, or whose write failed. How many.
    package func sweep(olderThan age: Duration = sweepAge) async throws(JournalFailure) -> Int {
        // Rows deleted while this sweep reads stay known until it has filtered what it read:
        // its snapshot may still hold them.
        known.withLock { $0.sweepBegan() }
        defer { known.withLock { $0.sweepEnded() } }
        let rows = try await store.query(
            """
            SELECT seq, line FROM hookline_outbox
            WHERE instance = \(store.instance) AND committed_at < now() - make_interval(secs => \(age.secondsValue))
            ORDER BY seq LIMIT 1000
            """, "outbox_sweep")
        var entries: [(seq: Int64, line: [UInt8])] = []
        for row in rows {
            let cells = row.makeRandomAccess()
            do {
                let seq = try cells["seq"].decode(Int64.self)
                let buffer = try cells["line"].decode(ByteBuffer.self)
                entries.append((seq, Array(buffer.readableBytesView)))
            } catch {
                throw JournalFailure("the outbox holds a row Hookline cannot read: \(error)")
            }
        }
        // Taken in the same step as they are read as unknown, so two sweeps never copy a row twice.
        let unknown = known.withLock { known in
            let unknown = entries.filter { !known.rows.contains($0.seq) }
            known.rows.formUnion(unknown.map(\.seq))
            return unknown
        }
        copy(unknown)
        return unknown.count
    }

    /// Takes the rows written so far, for a commit that deletes them (a finish, or `prune`).
    func takeWritten() -> [Int64] {
        written.withLock { rows -> [Int64] in
            defer { rows.removeAll() }
            return rows
        }
    }

    /// The commit deleted them.
    func deleted(_ seqs: [Int64]) {
        guard !seqs.isEmpty else { return }
        known.withLock { $0.forget(seqs) }
    }

    /// The commit failed: they are deleted with a later one. Copying them again at a restart
    /// skips what the log holds.
    func notDeleted(_ seqs: [Int64]) {
        guard !seqs.isEmpty else { return }
        written.withLock { $0 += seqs }
    }

    /// Deletes the rows written so far that no finish took along (called on a timer, in bulk).
    /// Only this instance's: a row another instance adopted is its to delete once written.
    func prune() async {
        let seqs = takeWritten()
        guard !seqs.isEmpty else { return }
        do {
            try await store.query("DELETE FROM hookline_outbox WHERE seq = ANY (\(seqs)) AND instance = \(store.instance)", "outbox_delete")
            deleted(seqs)
        } catch {
            notDeleted(seqs)
        }
    }

    /// At start: copies into the log what this instance committed but had not written when it
    /// stopped, skipping lines the log already holds.
    func recover(logPath: String) async throws(JournalFailure) -> Int {
        let rows = try await store.query(
            "SELECT seq, event_id, line FROM hookline_outbox WHERE instance = \(store.instance) ORDER BY seq", "outbox_recover")
        var pending: [(seq: Int64, event: String, line: [UInt8])] = []
        for row in rows {
            let cells = row.makeRandomAccess()
            do {
                let buffer = try cells["line"].decode(ByteBuffer.self)
                pending.append((try cells["seq"].decode(Int64.self), try cells["event_id"].decode(String.self), Array(buffer.readableBytesView)))
            } catch {
                throw JournalFailure("the outbox holds a row Hookline cannot read: \(error)")
            }
        }
        guard !pending.isEmpty else { return 0 }
        let events = Set(pending.map(\.event))
        var present: Set<LineKey> = []
        do {
            _ = try AuditLogReader.forEachLine(in: logPath) { line, _ in
                guard let summary = AuditLineScanner.scan(line), let event = summary.event, events.contains(event) else { return }
                present.insert(LineKey(summary))
            }
        } catch {
            throw JournalFailure("cannot read \(logPath) to see which outbox lines it holds: \(error)")
        }
        var missing: [(seq: Int64, line: [UInt8])] = []
        var held: [Int64] = []
        for row in pending {
            guard let summary = AuditLineScanner.scan(Array(row.line.dropLast())) else { continue }
            if present.contains(LineKey(summary)) { held.append(row.seq) } else { missing.append((row.seq, row.line)) }
        }
        known.withLock { $0.rows.formUnion(held) }
        written.withLock { $0 += held }
        copy(missing)
        if let failure = await log.flush() { throw failure }
        await prune()
        return missing.count
    }

    /// Takes over what instances silent for `after` left in the outbox (gone for good, with
    /// their logs) and writes it into this instance's log; how many lines, from which instances.
    func adopt(after: Duration) async throws(JournalFailure) -> (lines: Int, from: Set<String>) {
        let rows = try await store.query(
            "SELECT seq, line, previous FROM hookline_adopt(\(store.instance), \(after.secondsValue))", "outbox_adopt")
        var entries: [(seq: Int64, line: [UInt8])] = []
        var from: Set<String> = []
        for row in rows {
            let cells = row.makeRandomAccess()
            do {
                let buffer = try cells["line"].decode(ByteBuffer.self)
                entries.append((try cells["seq"].decode(Int64.self), Array(buffer.readableBytesView)))
                from.insert(try cells["previous"].decode(String.self))
            } catch {
                // The rows are this instance's now: a restart copies them, or reports them unreadable.
                throw JournalFailure("the outbox holds a row Hookline cannot read: \(error)")
            }
        }
        copy(entries)
        return (entries.count, from)
    }

    /// The outbox rows the sweep must leave be, and the rows to forget once no sweep is reading.
    private struct KnownRows {
        var rows: Set<Int64> = []
        /// Sweeps between their query and their filter.
        private var sweeps = 0
        private var forgetLater: [Int64] = []

        /// Forgets rows deleted (or not written): at once, or when the sweeps reading end.
        mutating func forget(_ seqs: [Int64]) {
            if sweeps > 0 {
                forgetLater += seqs
            } else {
                rows.subtract(seqs)
            }
        }

        mutating func sweepBegan() { sweeps += 1 }

        mutating func sweepEnded() {
            sweeps -= 1
            guard sweeps == 0 else { return }
            rows.subtract(forgetLater)
            forgetLater.removeAll()
        }
    }

    /// What makes an opening or a terminal line unique in a log: attempts keep counting across
    /// a redrive, so (outcome, event, target, attempt) never repeats.
    private struct LineKey: Hashable {
        var outcome: AuditOutcome
        var event: String?
        var target: String?
        var attempt: Int?

        init(_ summary: AuditLineSummary) {
            outcome = summary.outcome
            event = summary.event
            target = summary.target
            attempt = summary.attempt
        }
    }
}
