import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import Logging
import NIOPosix

/// A store the conformance suite runs against: opened at a place for the length of a body,
/// and opened again at the same place to read back what it kept. A second store is one more
/// value in `all`.
struct JournalStore: Sendable, CustomStringConvertible {
    let name: String
    /// Opens the store kept under `place` (a fresh directory per test) for the length of
    /// `body`, with the job board that goes with it.
    let scope: @Sendable (_ place: TemporaryDirectory, _ body: (any Journal, any JobBoard) async throws -> Void) async throws -> Void

    var description: String { name }

    func with(_ place: TemporaryDirectory, _ body: (any Journal, any JobBoard) async throws -> Void) async throws {
        try await scope(place, body)
    }

    func with(_ place: TemporaryDirectory, _ body: (any Journal) async throws -> Void) async throws {
        try await scope(place) { journal, _ in try await body(journal) }
    }

    static let file = JournalStore(name: "file") { place, body in
        let journal = try FileJournal.open(
            path: place.file("audit.jsonl"), options: AuditLogWriter.Options(fsync: .batch, dedupMaxAge: .seconds(3600), dedupMaxEntries: 1000))
        let queue = JobQueue(capacity: 1000, timers: MultiThreadedEventLoopGroup.singleton.next(), journal: journal)
        do {
            try await body(journal, queue)
        } catch {
            await journal.close()
            throw error
        }
        await journal.close()
    }

    /// PostgreSQL in the throwaway cluster: one database per place, the place's audit log beside it.
    static let postgres = JournalStore(name: "postgres") { place, body in
        let cluster = try await PostgresCluster.shared()
        let database = try await place.database(in: cluster)
        let configuration = try TestConfiguration.make(
            TestConfiguration.yaml(auditPath: place.file("audit.jsonl"), store: "{kind: postgres, url: \"\(cluster.url(database))\"}"))
        guard case .postgres(let settings) = configuration.store else { preconditionFailure("the test store is not postgres") }
        let store = try PostgresStore(
            settings: settings, auditPath: place.file("audit.jsonl"), metrics: nil, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.runPool() }
            let (journal, board) = try await store.open(configuration: configuration, events: EventJobs(configuration))
            group.addTask { await store.work(journal: journal, board: board, retention: settings.retention) }
            let result = await Result { try await body(journal, board) }
            board.close()
            await journal.close()
            group.cancelAll()
            try result.get()
        }
    }

    static let all: [JournalStore] = [.file, .postgres]
}

extension TemporaryDirectory {
    /// The database this place keeps its PostgreSQL journal in, made on first use.
    func database(in cluster: PostgresCluster) async throws -> String {
        let path = file("database")
        if let name = try? String(contentsOfFile: path, encoding: .utf8) { return name }
        let name = try await cluster.createDatabase()
        try name.write(toFile: path, atomically: true, encoding: .utf8)
        return name
    }
}

extension Result where Failure == any Error {
    /// Runs an async throwing body into a result.
    init(_ body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
