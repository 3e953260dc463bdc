import Foundation
import HooklineCore
import NIOCore
import PostgresNIO

extension PostgresDatabase {
    /// `audit.payloads: redacted | none` for the events table: an event's payload is kept whole
    /// while any of its jobs is not done (an instance that claims one decodes it), and replaced
    /// with what is kept once all are. Every few seconds, the events with a job that ended in the
    /// last `window` (`hookline_jobs_finished`, by target); at start, every event not yet kept
    /// less (`catchUp`), so a crash between a job's end and its event's turn, or a change of the
    /// setting, leaves nothing whole for long. Any instance may do it; it is idempotent.
    ///
    /// A redrive racing the change is harmless: a redacted payload never decodes for a target
    /// (`EventJobs.message(of:)`), and the redrive says why.
    func keepPayloads(_ keeping: PayloadKeeping, targets: [String], window: Duration) async {
        let seconds = window.secondsValue
        await keepPayloads(
            keeping,
            """
            SELECT \(unescaped: PostgresJournal.eventColumns) FROM hookline_events e
            WHERE e.id IN (
                SELECT j.event_id FROM hookline_jobs j
                WHERE j.target = ANY (\(targets)) AND j.done AND j.finished_at >= now() - make_interval(secs => \(seconds))
            )
              AND e.payload_kept IS NULL AND e.erased_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM hookline_jobs o WHERE o.event_id = e.id AND NOT o.done)
            LIMIT 1000
            """)
    }

    /// Every event not yet kept less whose jobs are all done, a thousand at a time.
    func catchUpPayloads(_ keeping: PayloadKeeping) async {
        var after = ""
        while true {
            let last = await keepPayloads(
                keeping,
                """
                SELECT \(unescaped: PostgresJournal.eventColumns) FROM hookline_events e
                WHERE e.id > \(after) AND e.payload_kept IS NULL AND e.erased_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM hookline_jobs o WHERE o.event_id = e.id AND NOT o.done)
                ORDER BY e.id LIMIT 1000
                """)
            guard let last else { return }
            after = last
        }
    }

    /// Keeps less of the events `query` selects; the greatest id it read, nil when none.
    @discardableResult
    private func keepPayloads(_ keeping: PayloadKeeping, _ query: PostgresQuery) async -> String? {
        do {
            let rows = try await self.query(query, "payloads_select")
            let records = try PostgresJournal.decodeAll(rows) { try PostgresJournal.event($0) }
            var ids: [String] = [], payloads: [ByteBuffer] = [], kept: [String] = []
            for record in records {
                let less = keeping.keep(record)
                guard let id = record.event, let how = less.payloadKept else { continue }
                ids.append(id)
                payloads.append(ByteBuffer(bytes: less.payload ?? []))
                kept.append(how.rawValue)
            }
            if !ids.isEmpty {
                try await self.query(
                    """
                    UPDATE hookline_events e SET payload = u.payload, payload_kept = u.kept
                    FROM unnest(\(ids)::text[], \(payloads)::bytea[], \(kept)::text[]) AS u(id, payload, kept)
                    WHERE e.id = u.id AND e.payload_kept IS NULL AND e.erased_at IS NULL
                    """, "payloads_keep")
            }
            return records.compactMap(\.event).max()
        } catch {
            logger.warning("could not keep less of finished events' payloads; trying again", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
