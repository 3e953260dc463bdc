import HooklineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization

extension PostgresDatabase {
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
                options: AuditLogWriter.Options(
                    fsync: configuration.audit.fsync, rotateBytes: configuration.audit.rotateBytes, keepsJournal: false,
                    payloads: configuration.audit.payloads),
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
        let board = PostgresJobBoard(store: self, journal: journal, events: events, configuration: configuration)
        await board.recount()
        await board.refreshPaused()
        return (journal, board)
    }

    /// Ends the sessions an earlier run of this instance left (a SIGKILL leaves them until the
    /// server notices): a statement still running in one could commit an outbox line after this
    /// run copied the outbox, and the line would wait for the next restart.
    private func endEarlierSessions() async throws(JournalFailure) {
        try await endSessions(of: instance, except: incarnation)
    }

    /// Ends every database session of `name`'s runs but `except`, and waits until they are gone.
    func endSessions(of name: String, except: String? = nil) async throws(JournalFailure) {
        let pattern = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "#%"
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let rows = try await query(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name LIKE \(pattern) AND application_name IS DISTINCT FROM \(except)
                """, "end_sessions")
            let remaining = try PostgresJournal.decodeAll(rows) { try $0[0].decode(Int.self) }.first ?? 0
            if remaining == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw JournalFailure("\(remaining) database sessions of \(name) would not end")
            }
            _ = await HooklineRuntime.sleep(for: .milliseconds(50))
        }
    }

    /// The work a member of the fleet does while it runs, one service per loop: committing
    /// accepts and finishes, claiming lanes, renewing its leases, adopting a gone instance's
    /// lanes, sweeping and pruning the outbox, recounting, pruning old events, and listening for
    /// new jobs. Each ends at graceful shutdown (or cancellation); the runtime stops them after
    /// the workers, so the workers' last finishes still commit.
    func services(
        journal: PostgresJournal, board: PostgresJobBoard, retention: Duration, payloads: PayloadKeeping = .full, targets: [String] = []
    ) -> [any Service] {
        var services: [any Service] = [
            StoreLoop("accept commits (1)") { await journal.batcher.run() },
            StoreLoop("accept commits (2)") { await journal.batcher.run() },
            StoreLoop("finish commits") { await board.runFinishes() },
            StoreLoop("lane claims") { await board.claimLoop() },
            StoreLoop("lease renewals") { await LeaseKeeper(store: self, board: board).run() },
            StoreLoop("adoption") { await self.every(min(self.settings.adoptAfter / 4, .seconds(60))) { await self.adopt(journal: journal) } },
            StoreLoop("outbox sweep") { await self.every(.seconds(10)) { await self.sweep(journal: journal) } },
            StoreLoop("recount and paused targets") {
                await self.every(.seconds(1)) {
                    await board.recount()
                    await board.refreshPaused()
                }
            },
            StoreLoop("unclaimable lanes") {
                var reported: Set<String> = []
                await self.every(.seconds(5)) { await board.countUnclaimable(reported: &reported) }
            },
            StoreLoop("outbox prune") { await self.every(.milliseconds(200)) { await journal.outbox.prune() } },
            StoreLoop("event prune") { await self.every(.seconds(10)) { await self.prune(retention: retention) } },
            StoreLoop("listen") { await self.listen() },
        ]
        if payloads != .full {
            services.append(
                StoreLoop("payload keeping") {
                    await self.catchUpPayloads(payloads)
                    await self.every(.seconds(2)) { await self.keepPayloads(payloads, targets: targets, window: .seconds(30)) }
                })
        }
        return services
    }

    func every(_ interval: Duration, _ body: () async -> Void) async {
        while await HooklineRuntime.sleep(for: interval) { await body() }
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
    /// Their database sessions are ended first: one cut off rather than dead must not commit
    /// another line once its outbox is this instance's.
    private func adopt(journal: PostgresJournal) async {
        do {
            let rows = try await query(
                """
                SELECT name FROM hookline_instances
                WHERE seen_at < now() - make_interval(secs => \(settings.adoptAfter.secondsValue)) AND name <> \(instance)
                """, "adopt_candidates")
            let gone = try PostgresJournal.decodeAll(rows) { try $0[0].decode(String.self) }
            guard !gone.isEmpty else { return }
            for name in gone { try await endSessions(of: name) }
            let adopted = try await journal.outbox.adopt(after: settings.adoptAfter)
            // Said even when they left no line: an instance silent that long is news to an operator.
            logger.notice(
                "adopted instances gone for store.adopt_after: their database sessions are ended, and the lines they had committed but not written are copied into this audit log",
                metadata: ["lines": "\(adopted.lines)", "instances": "\(Set(gone).union(adopted.from).sorted().joined(separator: ","))"])
        } catch {
            logger.warning("could not look for lines left by instances that are gone", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes finished events stored longer than `retention` ago, with their jobs, in batches
    /// until a batch comes back short: pruning keeps pace with any accept rate. One instance of
    /// the fleet prunes at a time (an advisory lock); the others skip their turn.
    package func prune(retention: Duration, batch: Int = 5000) async {
        var total = 0
        while !Task.isCancelled {
            let gone: Int
            do {
                let rows = try await query(
                    "SELECT hookline_prune(make_interval(secs => \(retention.secondsValue)), \(Int32(batch)))", "prune", timeout: .seconds(30))
                gone = try PostgresJournal.decodeAll(rows) { try $0[0].decode(Int.self) }.first ?? 0
            } catch {
                logger.warning("could not prune finished events", metadata: ["error": "\(error)"])
                return
            }
            if gone > 0 {
                total += gone
                metrics?.pruned(events: gone)
            }
            if gone < batch { break }
        }
        if total > 0 { logger.debug("pruned finished events past store.retention", metadata: ["events": "\(total)"]) }
    }

    /// Wakes idle workers on every new job anywhere in the fleet; reconnects with backoff.
    private func listen() async {
        let backoff = RetryPolicy.untilStopped(base: .milliseconds(200), max: .seconds(5))
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: "hookline_jobs") { notifications in
                        failures = 0
                        wake.signal()
                        for try await _ in notifications { wake.signal() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("listening for new jobs stopped; listening again", metadata: ["error": "\(error)"])
            }
            failures += 1
            guard await HooklineRuntime.sleep(for: backoff.delay(afterAttempt: failures)) else { return }
        }
    }
}
