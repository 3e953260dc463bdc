import DequeModule
import Foundation
import HooklineCore
import Logging
import PostgresNIO
import Synchronization

/// The jobs table as the workers' queue, for every instance at once. A worker's job is the head
/// of a lane this instance claimed (`hookline_claim`: `FOR UPDATE SKIP LOCKED`, under a lease),
/// so one (target, contact) is applied by one instance at a time, in order. Idle workers wait
/// for a notification (`LISTEN hookline_jobs`), a local enqueue, or the earliest deadline.
package final class PostgresJobBoard: JobBoard {
    private struct State {
        /// Unfinished jobs in the database, as last counted, plus those enqueued since.
        var unfinished = 0
        var reserved = 0
        var inFlight = 0
        var claimed: Deque<Job> = []
        var waiters: Deque<CheckedContinuation<Job?, Never>> = []
        var closed = false
    }

    package let capacity: Int
    /// Lanes claimed ahead of the workers asking: one claim round trip then serves many jobs,
    /// instead of one each (a claim a job capped the apply rate at one claim's latency).
    private let prefetch: Int
    private let store: PostgresStore
    private let events: EventJobs
    private let finishes: FinishBatcher
    private let state = Mutex(State())

    init(store: PostgresStore, events: EventJobs, capacity: Int, prefetch: Int) {
        self.store = store
        self.events = events
        self.capacity = capacity
        self.prefetch = max(1, prefetch)
        self.finishes = FinishBatcher(store: store)
    }

    package var count: Int { state.withLock { $0.unfinished + $0.reserved } }
    package var depth: Int { state.withLock { max(0, $0.unfinished + $0.reserved - $0.inFlight) } }

    package func reserve(_ jobs: Int) -> Bool {
        state.withLock { state in
            guard jobs >= 0, state.unfinished + state.reserved + jobs <= capacity else { return false }
            state.reserved += jobs
            return true
        }
    }

    package func cancelReservation(_ jobs: Int) { state.withLock { $0.reserved -= jobs } }

    /// Thin deliveries are not coalesced across a fleet: a second fetch sees the same contact.
    package func waitingFetch(for key: String) -> String? { nil }

    package func enqueue(reserved jobs: [Job]) {
        state.withLock { state in
            state.reserved -= jobs.count
            state.unfinished += jobs.count
        }
        store.wake.signal()
    }

    package func enqueue(overCapacity jobs: [Job]) { store.wake.signal() }

    package func next() async -> Job? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Job?, Never>) in
            let (job, closed, refill) = state.withLock { state -> (Job?, Bool, Bool) in
                if state.closed { return (nil, true, false) }
                if let job = state.claimed.popFirst() {
                    state.inFlight += 1
                    return (job, false, state.claimed.count < (prefetch + 1) / 2)
                }
                state.waiters.append(continuation)
                return (nil, false, true)
            }
            if refill { store.wake.signal() }
            if closed || job != nil { continuation.resume(returning: job) }
        }
    }

    package func finish(_ job: Job, line: AuditRecord, in journal: any Journal) async -> Bool {
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let ticket = job.ticket else { return false }
        let bytes = line.jsonLine
        let seq: Int64? = await persist("finish") {
            try await finishes.finish(job: ticket.id, lane: ticket.lane, outcome: line.outcome.rawValue, line: bytes)
        } ?? nil
        guard let seq else { return false }
        (journal as? PostgresJournal)?.outbox.writeAfterOpening((seq, bytes), event: job.event.id)
        return true
    }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?, in journal: any Journal) async -> Bool {
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let ticket = job.ticket else { return false }
        let now = MonotonicTime.now()
        let delay = max(0, until.since(now).secondsValue)
        let firstAgo = job.firstAttemptAt.map { max(0, now.since($0).secondsValue) }
        let slots = job.reservedSlots.map { $0.times.map { $0.since(now).secondsValue } }
        let held: Bool = await persist("park") {
            let rows = try await store.query(
                """
                SELECT hookline_park(\(ticket.id), \(ticket.lane), \(store.instance), \(delay), \(Int32(clamping: job.attempt)),
                                     \(firstAgo), \(slots), \(job.reservedSlots?.target))
                """, "park")
            return try rows.first?.makeRandomAccess()[0].decode(Bool.self) ?? false
        } ?? false
        if held, let line { journal.append(line) }
        // Its turn comes at `until`: this instance looks again then, whoever else does.
        store.wakeAt(until)
        return held
    }

    /// Runs `body` until the database answers (a finish or park must not be lost to a blip,
    /// also while draining): nil only when the drain deadline cancels it first. The job's lane
    /// then stays held until its lease runs out, and another instance applies it again.
    private func persist<Result>(_ what: String, _ body: () async throws -> Result) async -> Result? {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                return try await body()
            } catch {
                store.logger.warning("could not \(what) a job; trying again", metadata: ["error": "\(error)", "in_ms": "\(delay.wholeMilliseconds)"])
                guard await HooklineRuntime.sleep(for: delay) else { return nil }
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    package func close() {
        let waiters = state.withLock { state -> Deque<CheckedContinuation<Job?, Never>> in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        store.wake.signal()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    // MARK: - Claiming

    /// Lanes to claim: for the workers waiting beyond the jobs already claimed for them, and to
    /// keep `prefetch` claimed ahead. None while nobody waits and half the prefetch is left.
    private var demand: Int {
        state.withLock { state in
            guard !state.waiters.isEmpty || state.claimed.count < (prefetch + 1) / 2 else { return 0 }
            return max(0, state.waiters.count + prefetch - state.claimed.count)
        }
    }

    /// Claims lanes while workers wait; sleeps on notifications and deadlines otherwise.
    func claimLoop(journal: PostgresJournal) async {
        while !Task.isCancelled && !isClosed {
            let want = demand
            guard want > 0 else {
                await store.wake.wait(timeout: .seconds(5))
                continue
            }
            let rows: [PostgresRow]
            do {
                rows = try await store.query(
                    "SELECT * FROM hookline_claim(\(store.instance), make_interval(secs => \(store.settings.lease.secondsValue)), \(Int32(min(want, 64))))",
                    "claim")
            } catch {
                _ = await HooklineRuntime.sleep(for: .seconds(1))
                continue
            }
            for row in rows { await hand(row, journal: journal) }
            if rows.count < want { await sleepUntilWork() }
        }
    }

    /// Turns a claimed row into a job for a waiting worker (or ends it, when it can no longer be applied).
    private func hand(_ row: PostgresRow, journal: PostgresJournal) async {
        let now = MonotonicTime.now()
        let claimed: (job: Job?, record: AuditRecord, ticket: JobTicket, target: String, previous: String?)
        do {
            claimed = try ClaimedRow.read(row, events: events, now: now)
        } catch {
            store.logger.error("a claimed job cannot be read; its lane waits for its lease to run out", metadata: ["error": "\(error)"])
            return
        }
        if claimed.previous != nil {
            store.metrics?.leaseTakeover()
            journal.append(
                AuditRecord(
                    ts: .now(), outcome: .recovered, event: claimed.record.event, message: claimed.record.message, source: claimed.record.source,
                    type: claimed.record.type, contact: claimed.record.contact, targets: [claimed.target], reason: "lease_takeover",
                    error: "\(claimed.previous ?? "") held this lane; its lease ran out"))
        }
        guard let job = claimed.job else {
            // Its source or route is no longer configured: it ends here, failed, saying why.
            var job = Job(
                event: ContactEvent(
                    id: claimed.record.event ?? "", messageID: claimed.record.message, source: claimed.record.source ?? "", type: claimed.record.type ?? "",
                    kind: .updated, receivedAt: claimed.record.ts, contactID: claimed.record.contact ?? "", contact: .inJournal),
                route: Route(source: claimed.record.source ?? "", target: claimed.target))
            job.ticket = claimed.ticket
            state.withLock { $0.inFlight += 1 }
            let problem = ClaimedRow.problem(of: claimed.record, target: claimed.target, events: events)
            _ = await finish(
                job,
                line: AuditRecord(
                    ts: .now(), outcome: .failed, event: claimed.record.event, source: claimed.record.source, type: claimed.record.type,
                    contact: claimed.record.contact, target: claimed.target, error: "claimed, but \(problem)"),
                in: journal)
            return
        }
        let waiter = state.withLock { state -> CheckedContinuation<Job?, Never>? in
            if let waiter = state.waiters.popFirst() {
                state.inFlight += 1
                return waiter
            }
            state.claimed.append(job)
            return nil
        }
        waiter?.resume(returning: job)
    }

    /// Sleeps until something may be runnable: a notification or local enqueue, a parked lane's
    /// turn, or another instance's lease running out — whichever comes first, at most 5 s.
    private func sleepUntilWork() async {
        var wait = Duration.seconds(5)
        do {
            let rows = try await store.query(
                """
                SELECT extract(epoch FROM least(
                    (SELECT min(run_after) FROM hookline_lanes WHERE holder IS NULL),
                    (SELECT min(lease_until) FROM hookline_lanes WHERE holder IS NOT NULL AND holder <> \(store.instance))) - now())::float8
                """, "next_wake")
            if let seconds = try rows.first?.makeRandomAccess()[0].decode(Double?.self) {
                wait = min(wait, .milliseconds(Int64(max(0, seconds) * 1000) + 5))
            }
        } catch {
            // Counted with the query's other errors (hookline_db_errors_total); the 5 s wait stands.
            store.logger.debug("could not read when work is next due", metadata: ["error": "\(error)"])
        }
        await store.wake.wait(timeout: wait)
    }

    /// Re-reads how many jobs are unfinished in the database (`queue.capacity` counts them all).
    func recount() async {
        do {
            let rows = try await store.query("SELECT count(*) FROM hookline_jobs WHERE NOT done", "count")
            let count = try rows.first?.makeRandomAccess()[0].decode(Int.self) ?? 0
            state.withLock { $0.unfinished = count }
        } catch {
            store.logger.debug("could not count the unfinished jobs", metadata: ["error": "\(error)"])
        }
    }
}
