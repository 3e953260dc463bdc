import HooklineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

extension PostgresStore {
    /// The store for an instance whose audit log is at `auditPath`, named as before if it ran before.
    package convenience init(settings: PostgresSettings, auditPath: String, metrics: HooklineMetrics?, logger: Logger) throws(JournalFailure) {
        self.init(settings: settings, instance: try InstanceIdentity.load(auditPath: auditPath), metrics: metrics, logger: logger)
    }

    /// Opens the store for a runtime: the schema migrated, this instance's leases from before a
    /// crash released, what its outbox still held copied into its log.
    package func open(configuration: HooklineConfiguration, events: EventJobs) async throws(JournalFailure) -> (PostgresJournal, PostgresJobBoard) {
        try await probe()
        try await migrate()
        let path = configuration.audit.path
        let log: AuditLogWriter
        do {
            let file = try AuditFile.openLocked(path)
            let summary = try AuditLogReader.forEachLine(of: file.descriptor, path: path) { _, _ in }
            if summary.partialTail > 0 { try file.truncate(to: summary.completeBytes) }
            log = try AuditLogWriter(
                file: file,
                options: AuditLogWriter.Options(fsync: configuration.audit.fsync, rotateBytes: configuration.audit.rotateBytes, keepsJournal: false),
                observer: metrics, logger: logger)
        } catch let error as FileError {
            throw JournalFailure(error)
        } catch {
            throw JournalFailure("cannot open the audit log \(path): \(error)")
        }
        let journal = PostgresJournal(store: self, log: log)
        try await endEarlierSessions()
        // Seen before the outbox is read: no other instance adopts it from here on.
        try await heartbeat()
        try await query("UPDATE hookline_lanes SET holder = NULL, lease_until = NULL WHERE holder = \(instance)", "release_own")
        let copied = try await journal.outbox.recover(logPath: path)
        if copied > 0 { logger.notice("copied lines committed before a stop into the audit log", metadata: ["lines": "\(copied)"]) }
        let board = PostgresJobBoard(store: self, events: events, capacity: configuration.queue.capacity, prefetch: configuration.queue.workers)
        await board.recount()
        return (journal, board)
    }

    /// Ends the sessions an earlier run of this instance left (a SIGKILL leaves them until the
    /// server notices): a statement still running in one could commit an outbox line after this
    /// run copied the outbox, and the line would wait for the next restart.
    private func endEarlierSessions() async throws(JournalFailure) {
        let pattern = instance.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "#%"
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let rows = try await query(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name LIKE \(pattern) AND application_name <> \(incarnation)
                """, "end_sessions")
            let remaining = try PostgresJournal.decodeAll(rows) { try $0[0].decode(Int.self) }.first ?? 0
            if remaining == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw JournalFailure("\(remaining) sessions of an earlier run of \(instance) would not end")
            }
            _ = await HooklineRuntime.sleep(for: .milliseconds(50))
        }
    }

    /// The work a member of the fleet does while it runs: committing batches, claiming lanes,
    /// renewing its leases, listening for new jobs, recounting, copying and pruning. Returns
    /// when cancelled.
    package func work(journal: PostgresJournal, board: PostgresJobBoard, retention: Duration) async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<2 { group.addTask { await journal.batcher.run() } }
            group.addTask { await board.claimLoop(journal: journal) }
            group.addTask { await self.every(.milliseconds(Int64(self.settings.lease.secondsValue * 1000 / 3))) { await self.renewLeases() } }
            group.addTask { await self.every(min(self.settings.adoptAfter / 4, .seconds(60))) { await self.adopt(journal: journal) } }
            group.addTask { await self.every(.seconds(10)) { await self.sweep(journal: journal) } }
            group.addTask { await self.every(.seconds(1)) { await board.recount() } }
            group.addTask { await self.every(.milliseconds(200)) { await journal.outbox.prune() } }
            group.addTask { await self.every(.seconds(60)) { await self.prune(retention: retention) } }
            group.addTask { await self.listen() }
        }
    }

    /// Looks for work again at `time` (a lane parked here becomes runnable then).
    func wakeAt(_ time: MonotonicTime) {
        let delay = max(.zero, time.since(.now()))
        Task { [wake] in
            if await HooklineRuntime.sleep(for: delay) { wake.signal() }
        }
    }

    private func every(_ interval: Duration, _ body: () async -> Void) async {
        while await HooklineRuntime.sleep(for: interval) { await body() }
    }

    /// Renews the leases this instance holds and says it is still here, in one round trip.
    private func renewLeases() async {
        do {
            try await query(
                """
                WITH seen AS (
                    INSERT INTO hookline_instances (name, seen_at) VALUES (\(instance), now())
                    ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at
                )
                UPDATE hookline_lanes SET lease_until = now() + make_interval(secs => \(settings.lease.secondsValue)) WHERE holder = \(instance)
                """, "renew_leases")
        } catch {
            logger.warning("could not renew this instance's leases", metadata: ["error": "\(error)"])
        }
    }

    private func heartbeat() async throws(JournalFailure) {
        try await query(
            "INSERT INTO hookline_instances (name, seen_at) VALUES (\(instance), now()) ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
            "heartbeat")
    }

    /// Writes the lines of commits whose answer was lost.
    private func sweep(journal: PostgresJournal) async {
        do {
            let copied = try await journal.outbox.sweep()
            guard copied > 0 else { return }
            logger.notice("wrote audit lines committed earlier whose commit's answer was lost", metadata: ["lines": "\(copied)"])
        } catch {
            logger.warning("could not look for committed lines not yet written", metadata: ["error": "\(error)"])
        }
    }

    /// Copies into this log what instances gone for `store.adopt_after` committed and never wrote.
    private func adopt(journal: PostgresJournal) async {
        do {
            let adopted = try await journal.outbox.adopt(after: settings.adoptAfter)
            guard adopted.lines > 0 else { return }
            logger.notice(
                "copied into this audit log the lines instances gone for store.adopt_after had committed but not written",
                metadata: ["lines": "\(adopted.lines)", "instances": "\(adopted.from.sorted().joined(separator: ","))"])
        } catch {
            logger.warning("could not look for lines left by instances that are gone", metadata: ["error": "\(error)"])
        }
    }

    /// Gives the lanes this instance holds back to the fleet (at shutdown).
    func releaseLeases() async {
        do {
            try await query("UPDATE hookline_lanes SET holder = NULL, lease_until = NULL WHERE holder = \(instance)", "release_leases")
        } catch {
            logger.warning("could not release this instance's leases; they run out after their lease", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes finished events older than `retention`, a batch at a time, with their jobs.
    private func prune(retention: Duration) async {
        do {
            try await query(
                """
                WITH old AS (
                    SELECT e.id FROM hookline_events e
                    WHERE e.received_at < now() - make_interval(secs => \(retention.secondsValue))
                      AND NOT EXISTS (SELECT 1 FROM hookline_jobs j WHERE j.event_id = e.id AND NOT j.done)
                    LIMIT 1000
                ), gone AS (DELETE FROM hookline_jobs j USING old WHERE j.event_id = old.id)
                DELETE FROM hookline_events e USING old WHERE e.id = old.id
                """, "prune")
        } catch {
            logger.warning("could not prune finished events", metadata: ["error": "\(error)"])
        }
    }

    /// Wakes idle workers on every new job anywhere in the fleet; reconnects with backoff.
    private func listen() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: "hookline_jobs") { notifications in
                        delay = .milliseconds(200)
                        wake.signal()
                        for try await _ in notifications { wake.signal() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("listening for new jobs stopped; listening again", metadata: ["error": "\(error)", "in_ms": "\(delay.wholeMilliseconds)"])
            }
            guard await HooklineRuntime.sleep(for: delay) else { return }
            delay = min(delay * 2, .seconds(5))
        }
    }
}
