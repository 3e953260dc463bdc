import Foundation
import HooklineCore
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// The fleet's part in one transaction — the contact's events lose their payload (an empty
    /// one, which never decodes) and gain `erased_at` and `erased_reason`, and the lines of
    /// theirs still waiting in the outbox are erased as the audit log's are — then this
    /// instance's own audit log (`AuditLogWriter.erase`). Refused, changing nothing, while a job
    /// of one of the contact's events is not done. Other instances' audit logs are theirs: the
    /// erase is run on each instance's host (`docs/personal-data.md`); the database's part is
    /// then found done.
    package func erase(_ erasure: ContactErasure, by: String, dryRun: Bool) async throws -> ErasureReport {
        var report = ErasureReport(contact: erasure.contact, source: erasure.source, dryRun: dryRun)
        let database = self.database
        let (contact, source) = (erasure.contact, erasure.source)
        let at = Date(erasure.at)
        do {
            report = try await database.client.withConnection { connection in
                var report = report
                try await database.query("BEGIN", "erase", on: connection)
                do {
                    let owed = try await database.query(
                        """
                        SELECT j.event_id, array_agg(j.target ORDER BY j.id) FROM hookline_jobs j JOIN hookline_events e ON e.id = j.event_id
                        WHERE e.contact = \(contact) AND (\(source)::text IS NULL OR e.source = \(source)) AND NOT j.done
                        GROUP BY j.event_id ORDER BY min(j.id)
                        """, "erase_owed", on: connection)
                    report.owed = try PostgresJournal.decodeAll(owed) { ErasureReport.Owed(event: try $0[0].decode(String.self), targets: try $0[1].decode([String].self)) }
                    guard report.owed.isEmpty else {
                        try await database.query("ROLLBACK", "erase", on: connection)
                        return report
                    }
                    let erased = try await database.query(
                        """
                        UPDATE hookline_events SET payload = ''::bytea, payload_kept = NULL, erased_at = \(at), erased_reason = \(erasure.reason)
                        WHERE contact = \(contact) AND (\(source)::text IS NULL OR source = \(source)) AND erased_at IS NULL
                        RETURNING id
                        """, "erase_events", on: connection)
                    report.databaseRows = erased.count
                    let all = try await database.query(
                        "SELECT count(*) FROM hookline_events WHERE contact = \(contact) AND (\(source)::text IS NULL OR source = \(source))",
                        "erase_count", on: connection)
                    report.events = try PostgresJournal.decodeAll(all) { try $0[0].decode(Int.self) }.first ?? 0
                    let waiting = try await database.query(
                        """
                        SELECT o.seq, o.line FROM hookline_outbox o JOIN hookline_events e ON e.id = o.event_id
                        WHERE e.contact = \(contact) AND (\(source)::text IS NULL OR e.source = \(source)) FOR UPDATE OF o
                        """, "erase_outbox", on: connection)
                    let lines = try PostgresJournal.decodeAll(waiting) { (try $0[0].decode(Int64.self), Array(try $0[1].decode(ByteBuffer.self).readableBytesView)) }
                    for (seq, line) in lines {
                        let body = line.last == 0x0A ? Array(line.dropLast()) : line
                        guard case .erased(_, let replacement) = erasure.change(body) else { continue }
                        report.outboxLines += 1
                        let bytes = ByteBuffer(bytes: replacement)
                        try await database.query("UPDATE hookline_outbox SET line = \(bytes) WHERE seq = \(seq)", "erase_outbox_line", on: connection)
                    }
                    try await database.query(dryRun ? "ROLLBACK" : "COMMIT", "erase", on: connection)
                    return report
                } catch {
                    _ = try? await database.query("ROLLBACK", "erase", on: connection)
                    throw error
                }
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            throw PostgresDatabase.describe(error)
        }
        guard report.owed.isEmpty else { return report }
        if !dryRun { CrashPoint.reach("erase.after-database") }
        try await journal.log.erase(erasure, by: by, dryRun: dryRun, indexer: nil, into: &report)
        return report
    }
}
