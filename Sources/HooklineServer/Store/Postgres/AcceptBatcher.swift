import Foundation
import HooklineCore
import NIOCore
import PostgresNIO

/// Group commit for a shared store: the openings submitted while a commit is under way go in
/// the next one — one round trip (`hookline_accept`) for every delivery waiting at that moment.
final class AcceptBatcher: Sendable {
    struct Item: Sendable {
        var record: AuditRecord
        var jobs: [Job]
        var executor: (any CompletionExecutor)?
        var completion: @Sendable (OpeningOutcome) -> Void
    }

    /// Deliveries one commit takes at most.
    static let batchLimit = 256

    private let store: PostgresDatabase
    private let outbox: PostgresOutbox
    private let commits = GroupCommit<Item>(limit: batchLimit)

    init(store: PostgresDatabase, outbox: PostgresOutbox) {
        self.store = store
        self.outbox = outbox
    }

    func submit(_ item: Item) {
        if !commits.submit(item) { Self.shuttingDown(item) }
    }

    func close() {
        for item in commits.close() { Self.shuttingDown(item) }
    }

    /// Commits batches until closed; several of these run at once, each on its own connection.
    func run() async {
        let left = await commits.run { await commit($0) }
        for item in left { Self.shuttingDown(item) }
    }

    /// An opening no commit will take: the sender is answered 503 and retries.
    private static func shuttingDown(_ item: Item) {
        complete(item, .failed(JournalFailure("Hookline is shutting down")))
    }

    private func commit(_ batch: [Item]) async {
        var ids: [String] = [], sources: [String] = [], messages: [String] = [], types: [String] = [], contacts: [String] = []
        var targets: [String] = [], received: [Date] = [], payloads: [ByteBuffer] = [], redrives: [Bool] = [], lines: [ByteBuffer] = []
        var jobEvents: [String] = [], jobTargets: [String] = [], jobLanes: [String] = [], jobOpenings: [String] = []
        var jobAttempts: [Int32] = [], jobBudgets: [Int32] = [], jobRoutes: [String] = [], traces: [String] = []
        let keeping = outbox.log.options.payloads
        for item in batch {
            let record = item.record
            let id = record.event ?? ""
            ids.append(id)
            sources.append(record.source ?? "")
            messages.append(record.message ?? "")
            types.append(record.type ?? "")
            contacts.append(record.contact ?? "")
            targets.append((record.targets ?? []).joined(separator: ","))
            traces.append(record.trace ?? "")
            received.append(Date(record.ts))
            payloads.append(ByteBuffer(bytes: record.payload ?? []))
            redrives.append(record.outcome == .redriven)
            // This instance's log is not the journal: it keeps what `audit.payloads` says at once.
            lines.append(ByteBuffer(bytes: keeping == .full ? record.jsonLine : keeping.keep(record).jsonLine))
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
                    \(redrives), \(lines), \(jobEvents), \(jobTargets), \(jobLanes), \(jobOpenings), \(jobAttempts), \(jobBudgets), \(jobRoutes),
                    \(traces))
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
        if let executor = item.executor {
            executor.execute { item.completion(outcome) }
        } else {
            item.completion(outcome)
        }
    }
}
