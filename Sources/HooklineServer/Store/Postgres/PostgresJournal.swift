import Foundation
import HooklineCore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The journal a fleet shares in PostgreSQL (`store: {kind: postgres}`). Events and their jobs
/// commit together before the 2xx, a redelivery to any instance is settled by the unique key
/// on (source, message id), and each instance writes its own audit log of what it accepted and
/// did, through the outbox.
package final class PostgresJournal: Sendable {
    let store: PostgresDatabase
    package let outbox: PostgresOutbox
    let batcher: AcceptBatcher
    /// Message ids being accepted on this instance right now (a second connection gets 409).
    private let accepting = Mutex<[MessageKey: String]>([:])

    init(store: PostgresDatabase, log: AuditLogWriter) {
        self.store = store
        self.outbox = PostgresOutbox(store: store, log: log)
        self.batcher = AcceptBatcher(store: store, outbox: outbox)
    }

    var log: AuditLogWriter { outbox.log }

    // MARK: Dedup

    package func claim(message key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim {
        accepting.withLock { accepting in
            if let other = accepting[key] { return .inProgress(eventID: other) }
            accepting[key] = eventID
            return .new
        }
    }

    package func release(message key: MessageKey) { _ = accepting.withLock { $0.removeValue(forKey: key) } }

    // MARK: Appending

    package func appendOpening(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void
    ) {
        batcher.submit(AcceptBatcher.Item(record: record, jobs: jobs, executor: executor) { [weak self] outcome in
            if let claim { self?.release(message: claim) }
            completion(outcome)
        })
    }

    /// A line of this instance's own (not in the outbox): after its event's opening, when that
    /// is still on its way to the log.
    package func append(_ record: AuditRecord) {
        if let event = record.event, outbox.isOpening(event) {
            outbox.writeAfterOpening((nil, record.jsonLine), event: event)
        } else {
            log.append(record)
        }
    }

    package func flush() async -> JournalFailure? { await log.flush() }

    // MARK: What is owed

    package func owedTargets(of event: String) async throws(JournalFailure) -> [String]? {
        let rows = try await store.query("SELECT target FROM hookline_jobs WHERE event_id = \(event) AND NOT done ORDER BY id", "owed_targets_of")
        let targets = try Self.decodeAll(rows) { try $0[0].decode(String.self) }
        return targets.isEmpty ? nil : targets
    }

    package func opening(of event: String) async -> Result<AuditRecord, JournalReadError> {
        do {
            guard try await owedTargets(of: event) != nil else { return .failure(JournalReadError(event: event, .notOwed)) }
            let rows = try await store.query(
                "SELECT \(unescaped: Self.eventColumns) FROM hookline_events WHERE id = \(event)", "opening")
            guard let row = rows.first else { return .failure(JournalReadError(event: event, .missing("no event row"))) }
            return .success(try Self.event(row.makeRandomAccess()))
        } catch {
            return .failure(JournalReadError(event: event, .missing("\(error)")))
        }
    }

    /// The opening of the event whose job is the newest in `lane`, finished or not. The jobs are
    /// read newest first by id, so the scan stops at the lane's last job, which is recent: the
    /// lane was just being worked.
    package func newestOpening(inLane lane: String) async throws(JournalFailure) -> AuditRecord? {
        let rows = try await store.query(
            """
            SELECT \(unescaped: Self.eventColumns) FROM hookline_events
            WHERE id = (SELECT event_id FROM hookline_jobs WHERE lane = \(lane) ORDER BY id DESC LIMIT 1)
            """, "newest_in_lane")
        return try Self.decodeAll(rows) { try Self.event($0) }.first
    }

    /// The `received` record an event row stands for.
    /// `erased_at`, `erased_reason` and `payload_kept` are read when the query selected them
    /// (`eventColumns`).
    static func event(_ cells: PostgresRandomAccessRow) throws -> AuditRecord {
        let payload = try cells["payload"].decode(ByteBuffer.self)
        var record = AuditRecord(
            ts: UnixTime(try cells["received_at"].decode(Date.self)), outcome: .received, event: try cells["id"].decode(String.self),
            message: try cells["message"].decode(String?.self), source: try cells["source"].decode(String.self),
            type: try cells["type"].decode(String.self), contact: try cells["contact"].decode(String.self),
            targets: try cells["targets"].decode([String].self), trace: try cells["trace"].decode(String?.self),
            payload: Array(payload.readableBytesView))
        if cells.contains("erased_at"), let erased = try cells["erased_at"].decode(Date?.self) {
            record.erased = UnixTime(erased)
            record.erasedReason = try cells["erased_reason"].decode(String?.self)
            record.payload = nil
        }
        if cells.contains("payload_kept"), let kept = try cells["payload_kept"].decode(String?.self) {
            record.payloadKept = PayloadKept(rawValue: kept) ?? .redacted
            if record.payloadKept == PayloadKept.none { record.payload = nil }
        }
        return record
    }

    /// The columns `event(_:)` reads, for a query's select list.
    static let eventColumns = "id, source, message, type, contact, targets, received_at, payload, trace, erased_at, erased_reason, payload_kept"

    static func decodeAll<Value>(_ rows: [PostgresRow], _ decode: (PostgresRandomAccessRow) throws -> Value) throws(JournalFailure) -> [Value] {
        do {
            return try rows.map { try decode($0.makeRandomAccess()) }
        } catch {
            throw JournalFailure("a row from the database cannot be read: \(error)")
        }
    }

    // MARK: Learned references

    package func references(at target: String, prefixes: [String]) async throws(JournalFailure) -> any ReferenceLookup {
        let lows = prefixes
        let highs = prefixes.map { $0 + "\u{10FFFF}" }
        let rows = try await store.query(
            """
            SELECT r.key, r.id FROM hookline_references r JOIN unnest(\(lows)::text[], \(highs)::text[]) AS p(lo, hi)
              ON r.key >= p.lo AND r.key < p.hi WHERE r.target = \(target)
            """, "references")
        let pairs = try Self.decodeAll(rows) { (try $0[0].decode(String.self), try $0[1].decode(String.self)) }
        return KnownIDs(target: target, ids: Dictionary(pairs, uniquingKeysWith: { _, last in last }))
    }

    package func remember(_ reference: LearnedReference, at target: String, line: AuditRecord, fence: LaneClaim?) async throws(JournalFailure) -> Bool {
        let rows = try await store.query(
            "SELECT hookline_remember(\(target), \(reference.key), \(reference.id), \(fence?.lane), \(fence?.token))", "remember")
        guard try Self.decodeAll(rows, { try $0[0].decode(Bool.self) }).first == true else { return false }
        append(line)
        return true
    }

    /// Ids loaded for one job.
    private struct KnownIDs: ReferenceLookup {
        let target: String
        let ids: [String: String]

        func reference(target: String, key: String) -> String? { target == self.target ? ids[key] : nil }
    }

    // MARK: Redrive

    package func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) async throws(JournalFailure) -> [AuditRecord] {
        let names = outcomes.map(\.rawValue)
        // `since` is measured back from now on the database's clock, as every time it compares.
        let sinceAgo = since.map { max(0, now.since($0).secondsValue) }
        let rows = try await store.query(
            """
            WITH latest AS (
                SELECT j.event_id, j.target, j.attempt, j.id FROM hookline_jobs j
                WHERE j.outcome IN ('dead', 'failed') AND j.outcome = ANY (\(names))
                  AND (\(event)::text IS NULL OR j.event_id = \(event))
                  AND (\(sinceAgo)::float8 IS NULL OR j.finished_at >= now() - make_interval(secs => \(sinceAgo)))
                  AND NOT EXISTS (SELECT 1 FROM hookline_jobs later WHERE later.event_id = j.event_id AND later.target = j.target AND later.id > j.id)
            )
            SELECT e.id, e.source, e.message, e.type, e.contact, e.targets, e.received_at, e.payload, e.trace,
                   e.erased_at, e.erased_reason, e.payload_kept, array_agg(l.target ORDER BY l.id) AS selected, max(l.attempt) AS attempt
            FROM latest l JOIN hookline_events e ON e.id = l.event_id
            GROUP BY e.id ORDER BY min(l.id)
            """, "redrive_candidates")
        return try Self.decodeAll(rows) { cells in
            var record = try Self.event(cells)
            record.ts = now
            record.outcome = .redriven
            record.targets = try cells["selected"].decode([String].self)
            record.attempt = try cells["attempt"].decode(Int.self)
            return record
        }
    }

    // MARK: Health

    package var failure: JournalFailure? { store.failure ?? log.lastError }

    package func close() async {
        batcher.close()
        _ = await log.flush()
        await outbox.prune()
        await log.close()
    }
}

extension UnixTime {
    init(_ date: Date) { self.init(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded())) }
}

extension Date {
    init(_ time: UnixTime) { self.init(timeIntervalSince1970: Double(time.milliseconds) / 1000) }
}
