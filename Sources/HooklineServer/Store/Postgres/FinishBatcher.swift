import HooklineCore
import NIOCore
import PostgresNIO
import Synchronization

/// Group commit for finished jobs: the finishes submitted while one commit is under way go in
/// the next — one round trip and one WAL flush (`hookline_finish_batch`) for every worker
/// finishing at that moment, instead of one each. The same commit deletes the outbox rows this
/// instance has written to its log, and hands back each lane's next job when the lane is kept.
///
/// One batch is in flight at a time (one `run`), so this instance's batches never wait on each
/// other; other instances finish other lanes (a lane has one holder), and every batch locks its
/// lanes in lane order. A batch that fails fails every finish in it, and each worker tries again
/// on its own: a finish whose first commit's answer was lost comes back `again`, never applied
/// twice.
final class FinishBatcher: Sendable {
    /// The store's answer to one finish.
    struct Answer: Sendable {
        enum Status: Sendable, Hashable {
            /// Done now; the terminal line's outbox seq.
            case done(seq: Int64)
            /// Done already, under the same claim, by a commit whose answer was lost (the outbox sweep writes its line).
            case again
            /// Another claim holds the lane: nothing was written.
            case fenced
        }

        var status: Status
        /// The lane's next job, when the lane was kept under the same claim.
        var next: PostgresRow?
        /// When the commit was sent (the kept lane's lease counts from then).
        var sentAt: MonotonicTime
    }

    private struct Item: Sendable {
        var ticket: JobTicket
        var outcome: String
        var line: ByteBuffer
        var continuation: CheckedContinuation<Result<Answer, JournalFailure>, Never>
    }

    /// Finishes one commit takes at most.
    static let batchLimit = 256

    private let store: PostgresDatabase
    private let outbox: PostgresOutbox
    /// The routes whose lanes a finish may keep: those configured here, less paused targets'.
    private let routes: PausedRoutes
    /// Whether lanes are kept for their next jobs (not while draining).
    private let keeping = Atomic<Bool>(true)
    private let commits = GroupCommit<Item>(limit: batchLimit)

    init(store: PostgresDatabase, outbox: PostgresOutbox, routes: PausedRoutes) {
        self.store = store
        self.outbox = outbox
        self.routes = routes
    }

    /// From now on every finish gives its lane back (the instance is draining).
    func stopKeeping() { keeping.store(false, ordering: .relaxed) }

    /// Marks the job done under its claim and queues its terminal line in the outbox, in the next commit.
    func finish(_ ticket: JobTicket, outcome: String, line: [UInt8]) async throws(JournalFailure) -> Answer {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Answer, JournalFailure>, Never>) in
            let item = Item(ticket: ticket, outcome: outcome, line: ByteBuffer(bytes: line), continuation: continuation)
            if !commits.submit(item) { Self.fail(item) }
        }
        return try result.get()
    }

    /// Commits batches, one at a time, until closed or cancelled (the store's background work).
    func run() async {
        let left = await commits.run { await commit($0.sorted { $0.ticket.lane < $1.ticket.lane }) }
        for item in left { Self.fail(item) }
    }

    private static func fail(_ item: Item) {
        item.continuation.resume(returning: .failure(JournalFailure("Hookline is shutting down")))
    }

    private func commit(_ batch: [Item]) async {
        let jobs = batch.map(\.ticket.id), lanes = batch.map(\.ticket.lane), tokens = batch.map(\.ticket.token)
        let outcomes = batch.map(\.outcome), lines = batch.map(\.line)
        let written = outbox.takeWritten()
        let sentAt = LeaseClock.now()
        do {
            let rows = try await store.query(
                """
                SELECT * FROM hookline_finish_batch(
                    \(store.instance), \(jobs), \(lanes), \(tokens), \(outcomes), \(lines), \(keeping.load(ordering: .relaxed)), \(routes.claimable),
                    make_interval(secs => \(store.settings.lease.secondsValue)), \(written))
                """, "finish")
            var answers = [Answer?](repeating: nil, count: batch.count)
            for row in rows {
                let cells = row.makeRandomAccess()
                let ordinal = try cells["ord"].decode(Int.self)
                guard (1...batch.count).contains(ordinal) else { continue }
                let status: Answer.Status =
                    switch try cells["status"].decode(String.self) {
                    case "done": .done(seq: try cells["seq"].decode(Int64.self))
                    case "again": .again
                    default: .fenced
                    }
                let next = try cells["job"].decode(Int64?.self) == nil ? nil : row
                answers[ordinal - 1] = Answer(status: status, next: next, sentAt: sentAt)
            }
            outbox.deleted(written)
            for (index, item) in batch.enumerated() {
                if let answer = answers[index] {
                    item.continuation.resume(returning: .success(answer))
                } else {
                    item.continuation.resume(returning: .failure(JournalFailure("the database did not say what became of job \(item.ticket.id)")))
                }
            }
        } catch {
            outbox.notDeleted(written)
            let failure = error as? JournalFailure ?? JournalFailure("the database's answer to finishing jobs cannot be read: \(error)")
            for item in batch { item.continuation.resume(returning: .failure(failure)) }
        }
    }
}
