import HooklineCore
import NIOCore
import PostgresNIO
import Synchronization

/// Group commit for finished jobs: the finishes submitted while one commit is under way go in
/// the next — one round trip and one WAL flush (`hookline_finish` per row) for every worker
/// finishing at that moment, instead of one each.
///
/// One batch is in flight at a time, so this instance's batches never wait on each other; other
/// instances finish other lanes (a lane has one holder). A batch that fails fails every finish
/// in it, and each worker tries again on its own (`hookline_finish` answers NULL for a job that
/// is no longer its lane's head, so a commit whose answer was lost is not applied twice).
final class FinishBatcher: Sendable {
    private struct Item: Sendable {
        var job: Int64
        var lane: String
        var outcome: String
        var line: ByteBuffer
        var continuation: CheckedContinuation<Result<Int64?, JournalFailure>, Never>
    }

    private struct State {
        var items: [Item] = []
        var running = false
    }

    /// Finishes one commit takes at most.
    static let batchLimit = 256

    private let store: PostgresStore
    private let state = Mutex(State())

    init(store: PostgresStore) {
        self.store = store
    }

    /// Marks the job done and queues its terminal line in the outbox, in the next commit; the
    /// line's outbox seq, or nil when this instance no longer held the job's lane.
    func finish(job: Int64, lane: String, outcome: String, line: [UInt8]) async throws(JournalFailure) -> Int64? {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Int64?, JournalFailure>, Never>) in
            let start = state.withLock { state -> Bool in
                state.items.append(Item(job: job, lane: lane, outcome: outcome, line: ByteBuffer(bytes: line), continuation: continuation))
                guard !state.running else { return false }
                state.running = true
                return true
            }
            if start { Task { await self.drain() } }
        }
        return try result.get()
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Item] in
                guard !state.items.isEmpty else {
                    state.running = false
                    return []
                }
                let count = min(Self.batchLimit, state.items.count)
                defer { state.items.removeFirst(count) }
                return Array(state.items.prefix(count))
            }
            guard !batch.isEmpty else { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Item]) async {
        let jobs = batch.map(\.job), lanes = batch.map(\.lane), outcomes = batch.map(\.outcome), lines = batch.map(\.line)
        do {
            let rows = try await store.query(
                """
                SELECT f.ord, hookline_finish(f.job, f.lane, \(store.instance), f.outcome, f.line)
                FROM unnest(\(jobs)::bigint[], \(lanes)::text[], \(outcomes)::text[], \(lines)::bytea[]) WITH ORDINALITY AS f(job, lane, outcome, line, ord)
                """, "finish")
            var seqs = [Int64?](repeating: nil, count: batch.count)
            for row in rows {
                let cells = row.makeRandomAccess()
                let ordinal = try cells[0].decode(Int64.self)
                guard (1...Int64(batch.count)).contains(ordinal) else { continue }
                seqs[Int(ordinal - 1)] = try cells[1].decode(Int64?.self)
            }
            for (index, item) in batch.enumerated() { item.continuation.resume(returning: .success(seqs[index])) }
        } catch let failure as JournalFailure {
            for item in batch { item.continuation.resume(returning: .failure(failure)) }
        } catch {
            let failure = JournalFailure("the database's answer to finishing jobs cannot be read: \(error)")
            for item in batch { item.continuation.resume(returning: .failure(failure)) }
        }
    }
}
