import Foundation
import HooklineCore
import NIOCore
import PostgresNIO
import Synchronization

/// Group commit for a shared store: the openings submitted while a commit is under way go in
/// the next one — one round trip (`hookline_accept`) for every delivery waiting at that moment.
final class AcceptBatcher: Sendable {
    struct Item: Sendable {
        var record: AuditRecord
        var jobs: [Job]
        var loop: (any EventLoop)?
        var completion: @Sendable (OpeningOutcome) -> Void
    }

    private struct State {
        var items: [Item] = []
        var waiting: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    /// Deliveries one commit takes at most.
    static let batchLimit = 256

    private let store: PostgresStore
    private let outbox: PostgresOutbox
    private let state = Mutex(State())

    init(store: PostgresStore, outbox: PostgresOutbox) {
        self.store = store
        self.outbox = outbox
    }

    func submit(_ item: Item) {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (false, nil) }
            state.items.append(item)
            return (true, state.waiting.popLast())
        }
        guard accepted else {
            Self.complete(item, .failed(JournalFailure("Hookline is shutting down")))
            return
        }
        waiter?.resume()
    }

    func close() {
        let (items, waiters) = state.withLock { state -> ([Item], [CheckedContinuation<Void, Never>]) in
            state.closed = true
            defer {
                state.items.removeAll()
                state.waiting.removeAll()
            }
            return (state.items, state.waiting)
        }
        for item in items { Self.complete(item, .failed(JournalFailure("Hookline is shutting down"))) }
        for waiter in waiters { waiter.resume() }
    }

    /// Commits batches until closed; several of these run at once, each on its own connection.
    func run() async {
        while true {
            let batch = await take()
            guard let batch else { return }
            await commit(batch)
        }
    }

    private func take() async -> [Item]? {
        while true {
            let taken = state.withLock { state -> [Item]?? in
                if !state.items.isEmpty {
                    let count = min(Self.batchLimit, state.items.count)
                    defer { state.items.removeFirst(count) }
                    return .some(Array(state.items.prefix(count)))
                }
                return state.closed ? .some(nil) : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.closed || !state.items.isEmpty { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private func commit(_ batch: [Item]) async {
        var ids: [String] = [], sources: [String] = [], messages: [String] = [], types: [String] = [], contacts: [String] = []
        var targets: [String] = [], received: [Date] = [], payloads: [ByteBuffer] = [], redrives: [Bool] = [], lines: [ByteBuffer] = []
        var jobEvents: [String] = [], jobTargets: [String] = [], jobLanes: [String] = [], jobOpenings: [String] = []
        var jobAttempts: [Int32] = [], jobBudgets: [Int32] = [], jobRoutes: [String] = []
        for item in batch {
            let record = item.record
            let id = record.event ?? ""
            ids.append(id)
            sources.append(record.source ?? "")
            messages.append(record.message ?? "")
            types.append(record.type ?? "")
            contacts.append(record.contact ?? "")
            targets.append((record.targets ?? []).joined(separator: ","))
            received.append(Date(record.ts))
            payloads.append(ByteBuffer(bytes: record.payload ?? []))
            redrives.append(record.outcome == .redriven)
            lines.append(ByteBuffer(bytes: record.jsonLine))
            for job in item.jobs {
                jobEvents.append(id)
                jobTargets.append(job.target)
                jobLanes.append(job.lane.description)
                jobOpenings.append(record.outcome.rawValue)
                jobAttempts.append(Int32(clamping: job.attempt))
                jobBudgets.append(Int32(clamping: job.budgetStart))
                jobRoutes.append(job.route.storeKey)
            }
        }
        // While the database cannot be reached, senders hear so at once rather than after the
        // query timeout; the store's background queries find out when it is back.
        if store.unreachable, let failure = store.failure {
            for item in batch { Self.complete(item, .failed(failure)) }
            return
        }
        outbox.expectOpenings(ids)
        defer { outbox.openingsWritten(ids) }
        let rows: [PostgresRow]
        do {
            rows = try await store.query(
                """
                SELECT event_id, original, seq FROM hookline_accept(
                    \(store.instance), \(ids), \(sources), \(messages), \(types), \(contacts), \(targets), \(received), \(payloads),
                    \(redrives), \(lines), \(jobEvents), \(jobTargets), \(jobLanes), \(jobOpenings), \(jobAttempts), \(jobBudgets), \(jobRoutes))
                """, "accept")
        } catch {
            // Perhaps committed all the same (the answer was lost): the outbox sweep writes its
            // lines, and the senders' retries are answered duplicate.
            for item in batch { Self.complete(item, .failed(error)) }
            return
        }
        // One row per delivery: its original event when a duplicate, else its outbox line's seq.
        var outcomes: [String: (outcome: OpeningOutcome, seq: Int64?)] = [:]
        do {
            for row in rows {
                let cells = row.makeRandomAccess()
                let id = try cells["event_id"].decode(String.self)
                if let original = try cells["original"].decode(String?.self) {
                    outcomes[id] = (.duplicate(of: original), nil)
                } else {
                    outcomes[id] = (.durable, try cells["seq"].decode(Int64?.self))
                }
            }
        } catch {
            // Committed, but the answer is unreadable: the senders retry and are answered
            // duplicate, and the outbox sweep writes the lines.
            let failure = JournalFailure("the database's answer to a commit cannot be read: \(error)")
            for item in batch { Self.complete(item, .failed(failure)) }
            return
        }
        var copies: [(seq: Int64, line: [UInt8])] = []
        for (index, item) in batch.enumerated() {
            guard let (outcome, seq) = outcomes[ids[index]] else {
                Self.complete(item, .failed(JournalFailure("the database did not say what became of event \(ids[index])")))
                continue
            }
            if let seq { copies.append((seq, Array(lines[index].readableBytesView))) }
            Self.complete(item, outcome)
        }
        outbox.copy(copies)
    }

    private static func complete(_ item: Item, _ outcome: OpeningOutcome) {
        if let loop = item.loop {
            loop.execute { item.completion(outcome) }
        } else {
            item.completion(outcome)
        }
    }
}
