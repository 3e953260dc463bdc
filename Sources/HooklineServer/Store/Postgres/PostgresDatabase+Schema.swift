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

extension PostgresDatabase {
    // MARK: - Schema

    /// How long a migration waits for the lock another instance holds while it migrates.
    static let migrationLockWait: Duration = .seconds(60)
    /// How long one of a migration's statements waits for a table's lock (a long transaction
    /// elsewhere): then the migration stops, changing nothing, and says so.
    static let migrationLockTimeout = "10s"

    /// Runs the migrations not yet applied, under an advisory lock so instances starting
    /// together do not race; returns the versions applied now. Waits at most
    /// `migrationLockWait` for that lock, and each statement `migrationLockTimeout` for a table's.
    /// (`upTo` stops at that version: for tests of a later migration.)
    @discardableResult
    package func migrate(
        upTo newest: Int = schemaVersion, lockWait: Duration = migrationLockWait, lockTimeout: String = migrationLockTimeout
    ) async throws(JournalFailure) -> [Int] {
        do {
            return try await client.withConnection { connection in
                try await Self.takeMigrationLock(connection, wait: lockWait, logger: logger)
                do {
                    try await connection.query(
                        "CREATE TABLE IF NOT EXISTS hookline_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                        logger: logger)
                    var applied: Set<Int> = []
                    for try await version in try await connection.query("SELECT version FROM hookline_migrations", logger: logger).decode(Int.self) {
                        applied.insert(version)
                    }
                    if let newest = applied.max(), newest > Self.schemaVersion {
                        throw JournalFailure(
                            "the database's schema is at version \(newest), newer than this Hookline's \(Self.schemaVersion): run the Hookline that migrated it, or a later one")
                    }
                    var now: [Int] = []
                    for migration in PostgresSchema.migrations where !applied.contains(migration.version) && migration.version <= newest {
                        try await connection.query("BEGIN", logger: logger)
                        do {
                            try await connection.query(PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = '\(lockTimeout)'"), logger: logger)
                            for statement in migration.statements {
                                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                            }
                            try await connection.query("INSERT INTO hookline_migrations (version) VALUES (\(migration.version))", logger: logger)
                            try await connection.query("COMMIT", logger: logger)
                        } catch {
                            await Self.bestEffort("roll back a failed migration", logger: logger) { try await connection.query("ROLLBACK", logger: logger) }
                            if let error = error as? PSQLError, error.serverInfo?[.sqlState] == "55P03" {
                                throw JournalFailure(
                                    "migration \(migration.version) could not lock a table within \(lockTimeout): a long transaction holds it (see pg_stat_activity); nothing was changed — try again once it ends")
                            }
                            throw error
                        }
                        now.append(migration.version)
                    }
                    try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                    return now
                } catch {
                    // The lock goes with the connection too; unlocking is a courtesy.
                    await Self.bestEffort("release the migration lock", logger: logger) {
                        try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                    }
                    throw error
                }
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            throw Self.describe(error)
        }
    }
}

extension PostgresDatabase {
    /// Takes the migration lock within `migrationLockWait`, or says who holds it.
    static func takeMigrationLock(_ connection: PostgresConnection, wait: Duration, logger: Logger) async throws {
        let deadline = ContinuousClock.now + wait
        while true {
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(PostgresSchema.migrationLock))", logger: logger).collect()
            if try rows.first?.makeRandomAccess()[0].decode(Bool.self) == true { return }
            guard ContinuousClock.now < deadline else {
                let holder = try await connection.query(
                    """
                    SELECT coalesce(string_agg(a.application_name || ' (pid ' || a.pid || ')', ', '), 'another session')
                    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = \(PostgresSchema.migrationLock)
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    """, logger: logger
                ).collect().first?.makeRandomAccess()[0].decode(String.self)
                throw JournalFailure(
                    "the schema could not be migrated: \(holder ?? "another session") has held the migration lock for over \(wait.configurationText); is a migration stuck?")
            }
            _ = await HooklineRuntime.sleep(for: .milliseconds(250))
        }
    }

    /// The schema version this Hookline needs.
    package static var schemaVersion: Int { PostgresSchema.migrations.last?.version ?? 0 }

    /// `hookline migrate`: connects, applies the migrations not yet applied (under the same
    /// advisory lock as a starting instance), and disconnects. The versions applied now.
    package static func migrate(settings: PostgresSettings, logger: Logger, timeout: Duration = .seconds(30)) async throws(JournalFailure) -> [Int] {
        let store = PostgresDatabase(settings: settings, instance: "hookline-migrate", metrics: nil, logger: logger)
        do {
            return try await withThrowingTaskGroup(of: [Int]?.self) { group in
                group.addTask {
                    await store.runPool()
                    return nil
                }
                defer { group.cancelAll() }
                try await store.probe()
                return try await withDeadline(timeout) { try await store.migrate() }
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            throw describe(error)
        }
    }

    /// A connection's failure in a few words: "connection refused by 10.0.0.5:5432".
    static func connectionProblem(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first {
                return "\(connectionProblem(failure.error)) (\(error.host):\(error.port))"
            }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(error.host): \(dns)" }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }

    /// Runs a clean-up after a failure already being reported; its own failure is logged.
    static func bestEffort(_ what: String, logger: Logger, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            logger.warning("could not \(what)", metadata: ["error": "\(describe(error))"])
        }
    }
}

/// The host name, for the instance's name in leases.
package enum ProcessInfoLite {
    package static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "host" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(name.filter { $0.isLetter || $0.isNumber || $0 == "-" }.prefix(40))
    }
}
