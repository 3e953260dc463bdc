import DequeModule
import Foundation
import HooklineCore
import Logging
import PostgresNIO
import Synchronization

/// The jobs table as the workers' queue, for every instance at once. A worker's job is the head
/// of a lane this instance claimed (`hookline_claim`: `FOR UPDATE SKIP LOCKED`, under a lease and
/// a token), so one (target, contact) is applied by one instance at a time, in order. The leases
/// held are in a `LeaseBook`: no job is handed out, and no call started, unless its lease covers
/// the call. Idle workers wait for a notification (`LISTEN hookline_jobs`), a local enqueue, or
/// the earliest deadline.
package final class PostgresJobBoard: JobBoard {
    private struct State {
        /// Unfinished jobs in the database, as last counted, plus those enqueued since.
        var unfinished = 0
        var reserved = 0
        var inFlight = 0
        var claimed: Deque<Job> = []
        var waiters: Deque<CheckedContinuation<Job?, Never>> = []
        var closed = false
        var book: LeaseBook
        /// Claims dropped unstarted, for the claim loop to give back.
        var giveBack: [LaneClaim] = []
    }

    package let capacity: Int
    /// Lanes claimed ahead of the workers asking: one claim round trip then serves many jobs.
    private let prefetch: Int
    let store: PostgresStore
    let events: EventJobs
    /// `source` US `target` of every route configured here: the lanes this instance claims.
    let routes: [String]
    /// Each target's call timeout: what a job's lease must cover before it is handed out.
    private let timeouts: [String: Duration]
    private let finishes: FinishBatcher
    private let state: Mutex<State>

    init(store: PostgresStore, outbox: PostgresOutbox, events: EventJobs, configuration: HooklineConfiguration) {
        self.store = store
        self.events = events
        capacity = configuration.queue.capacity
        prefetch = max(1, configuration.queue.workers)
        routes = configuration.routes.map { "\($0.source)\u{1F}\($0.target)" }
        timeouts = Dictionary(configuration.targets.map { ($0.name, $0.timeout) }, uniquingKeysWith: { first, _ in first })
        state = Mutex(State(book: LeaseBook(terms: store.settings.leaseTerms)))
        finishes = FinishBatcher(store: store, outbox: outbox, routes: routes)
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

    /// Recovery is nothing to read with a shared store: what is owed is in the database already.
    package func enqueue(overCapacity jobs: [Job]) { store.wake.signal() }

    private func timeout(of job: Job) -> Duration { timeouts[job.target] ?? TargetSettings.defaultTimeout }

    package func next() async -> Job? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Job?, Never>) in
            let now = LeaseClock.now()
            let (job, closed, refill) = state.withLock { state -> (Job?, Bool, Bool) in
                if state.closed { return (nil, true, false) }
                while let job = state.claimed.popFirst() {
                    if Self.handOut(job, timeout: timeout(of: job), now: now, state: &state) {
                        state.inFlight += 1
                        return (job, false, state.claimed.count < (prefetch + 1) / 2)
                    }
                }
                state.waiters.append(continuation)
                return (nil, false, true)
            }
            if refill { store.wake.signal() }
            if closed || job != nil { continuation.resume(returning: job) }
        }
    }

    /// Whether the job claimed ahead may go to a worker: its lease must still cover a call. If
    /// not, its claim is given back unstarted.
    private static func handOut(_ job: Job, timeout: Duration, now: MonotonicTime, state: inout State) -> Bool {
        guard let claim = job.ticket?.claim else { return false }
        switch state.book.handOut(claim, callTimeout: timeout, now: now) {
        case .granted: return true
        case .expiring: state.giveBack.append(claim)
        case .lost: break
        }
        return false
    }

    package func permit(_ job: Job, callTimeout: Duration) -> CallPermission {
        guard let claim = job.ticket?.claim else { return .lost }
        return state.withLock { $0.book.permission(claim, callTimeout: callTimeout, now: LeaseClock.now()) }
    }

    package func abandon(_ job: Job) async {
        guard let claim = job.ticket?.claim else { return }
        state.withLock { state in
            state.inFlight -= 1
            if state.book.holds(claim) {
                state.book.ended(claim)
                state.giveBack.append(claim)
            }
        }
        store.wake.signal()
    }

    package func finish(_ job: Job, line: AuditRecord, in journal: any Journal) async -> JobWrite {
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let ticket = job.ticket else { return .fenced }
        let bytes = line.jsonLine
        guard let answer = await persist("finish", { try await finishes.finish(ticket, outcome: line.outcome.rawValue, line: bytes) }) else {
            state.withLock { $0.book.ended(ticket.claim) }
            return .unwritten
        }
        switch answer.status {
        case .fenced:
            state.withLock { $0.book.ended(ticket.claim) }
            return .fenced
        case .done(let seq):
            (journal as? PostgresJournal)?.outbox.writeAfterOpening((seq, bytes), event: job.event.id)
        case .again:
            // The first commit's line is in the outbox: the sweep writes it.
            break
        }
        if let next = answer.next {
            state.withLock { $0.book.claimed(ticket.claim, sentAt: answer.sentAt) }
            await hand(next, journal: journal)
        } else {
            state.withLock { $0.book.ended(ticket.claim) }
        }
        return .written
    }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?, in journal: any Journal) async -> JobWrite {
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let ticket = job.ticket else { return .fenced }
        let now = MonotonicTime.now()
        let delay = max(0, until.since(now).secondsValue)
        let firstAgo = job.firstAttemptAt.map { max(0, now.since($0).secondsValue) }
        let slots = job.reservedSlots.map { $0.times.map { $0.since(now).secondsValue } }
        let held: Bool? = await persist("park") {
            let rows = try await store.query(
                """
                SELECT hookline_park(\(ticket.id), \(ticket.lane), \(ticket.token), \(delay), \(Int32(clamping: job.attempt)),
                                     \(firstAgo), \(slots), \(job.reservedSlots?.target))
                """, "park")
            return try rows.first?.makeRandomAccess()[0].decode(Bool.self) ?? false
        }
        // Parked, its lane is free for whoever's turn it is then: no longer this claim's.
        state.withLock { $0.book.ended(ticket.claim) }
        guard let held else { return .unwritten }
        guard held else { return .fenced }
        if let line { journal.append(line) }
        // Its turn comes at `until`: this instance looks again then, whoever else does.
        store.wakeAt(until)
        return .written
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
        finishes.stopKeeping()
        let waiters = state.withLock { state -> Deque<CheckedContinuation<Job?, Never>> in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        store.wake.signal()
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    // MARK: - Leases

    /// The claims to renew, in lane order.
    func claimsToRenew() -> [LaneClaim] { state.withLock { $0.book.claims } }

    /// A renewal of `asked`, sent at `sentAt`, confirmed these claims: the others are lost, and
    /// their jobs claimed ahead are dropped unstarted.
    func renewed(asked: [LaneClaim], confirmed: Set<LaneClaim>, sentAt: MonotonicTime) -> LeaseRenewal {
        state.withLock { state in
            let renewal = state.book.renewed(asked: asked, confirmed: confirmed, sentAt: sentAt)
            if !renewal.lostAhead.isEmpty {
                let lost = Set(renewal.lostAhead)
                state.claimed.removeAll { $0.ticket.map { lost.contains($0.claim) } ?? true }
            }
            return renewal
        }
    }

    /// A renewal failed: the jobs claimed ahead are dropped unstarted and their lanes given back
    /// (if the database can be reached; else their leases run out). Calls in hand go on only while
    /// their lease covers them. How many were dropped.
    func renewalFailed() -> Int {
        state.withLock { state in
            let ahead = state.book.renewalFailed()
            let dropped = Set(ahead)
            state.claimed.removeAll { $0.ticket.map { dropped.contains($0.claim) } ?? true }
            state.giveBack += ahead
            return ahead.count
        }
    }

    /// Gives back every claim this instance holds (at shutdown, once the workers are done), and
    /// stops calling itself idle: nobody need wake it.
    func releaseAll() async {
        let claims = state.withLock { state -> [LaneClaim] in
            let claims = state.book.claims + state.giveBack
            for claim in state.book.claims { state.book.ended(claim) }
            state.claimed.removeAll()
            state.giveBack.removeAll()
            return claims
        }
        await release(claims)
        do {
            try await store.query("UPDATE hookline_instances SET idle = false WHERE name = \(store.instance) AND idle", "not_idle")
        } catch {
            store.logger.debug("could not say this instance is no longer idle", metadata: ["error": "\(error)"])
        }
    }

    /// Gives back the claims dropped unstarted.
    func giveBackDropped() async {
        let claims = state.withLock { state -> [LaneClaim] in
            defer { state.giveBack.removeAll() }
            return state.giveBack
        }
        await release(claims)
    }

    private func release(_ claims: [LaneClaim]) async {
        guard !claims.isEmpty else { return }
        let sorted = claims.sorted { $0.lane < $1.lane }
        do {
            try await store.query(
                "SELECT hookline_release(\(store.instance), \(sorted.map(\.lane)), \(sorted.map(\.token)))", "release")
        } catch {
            store.logger.debug("could not give lanes back; their leases run out", metadata: ["lanes": "\(claims.count)", "error": "\(error)"])
        }
    }

    // MARK: - Claiming

    /// Lanes to claim: for the workers waiting beyond the jobs already claimed for them, and to
    /// keep `prefetch` claimed ahead. None while nobody waits and half the prefetch is left.
    private var demand: (lanes: Int, waiting: Bool) {
        state.withLock { state in
            let waiting = !state.waiters.isEmpty
            guard waiting || state.claimed.count < (prefetch + 1) / 2 else { return (0, waiting) }
            return (max(0, state.waiters.count + prefetch - state.claimed.count), waiting)
        }
    }

    /// Lanes one claim takes at most.
    static let claimLimit = 64

    /// Claims lanes while workers wait; sleeps on notifications and deadlines otherwise.
    func claimLoop(journal: PostgresJournal) async {
        while !Task.isCancelled && !isClosed {
            await giveBackDropped()
            let (want, waiting) = demand
            guard want > 0 else {
                await store.wake.wait(timeout: .seconds(5))
                continue
            }
            let rows: [PostgresRow]
            let asked = min(want, Self.claimLimit)
            let sentAt = LeaseClock.now()
            do {
                rows = try await store.query(
                    """
                    SELECT * FROM hookline_claim(\(store.instance), make_interval(secs => \(store.settings.lease.secondsValue)),
                                                 \(Int32(asked)), \(routes), \(waiting))
                    """, "claim")
            } catch {
                _ = await HooklineRuntime.sleep(for: .seconds(1))
                continue
            }
            for row in rows { await hand(row, journal: journal, claimedAt: sentAt) }
            // Fewer than asked: nothing more is runnable now.
            if rows.count < asked { await sleepUntilWork(idle: waiting && rows.isEmpty) }
        }
    }

    /// Turns a head handed over — by a claim sent at `claimedAt`, or by a finish that kept its lane
    /// (already in the book) — into a job for a waiting worker, or ends it when it cannot be applied.
    private func hand(_ row: PostgresRow, journal: any Journal, claimedAt: MonotonicTime? = nil) async {
        let claimed: ClaimedRow
        do {
            claimed = try ClaimedRow.read(row, events: events, now: .now())
        } catch {
            store.logger.error("a claimed job's row cannot be read; its lane is claimed again once its lease runs out", metadata: ["error": "\(error)"])
            return
        }
        if let claimedAt { state.withLock { $0.book.claimed(claimed.ticket.claim, sentAt: claimedAt) } }
        if let previous = claimed.previous {
            store.metrics?.leaseTakeover()
            journal.append(
                AuditRecord(
                    ts: .now(), outcome: .recovered, event: claimed.event, message: claimed.record?.message, source: claimed.record?.source,
                    type: claimed.record?.type, contact: claimed.record?.contact, targets: [claimed.target], reason: "lease_takeover",
                    error: "\(previous) held this lane; its lease ran out"))
        }
        switch claimed.job {
        case .failure(let problem):
            // It can never be applied: it ends here, failed, saying why, and the lane moves on.
            state.withLock { $0.inFlight += 1 }
            _ = await finish(
                claimed.standIn(),
                line: AuditRecord(
                    ts: .now(), outcome: .failed, event: claimed.event, source: claimed.record?.source, type: claimed.record?.type,
                    contact: claimed.record?.contact, target: claimed.target, error: "claimed, but \(problem)"),
                in: journal)
        case .success(let job):
            let now = LeaseClock.now()
            let waiter = state.withLock { state -> CheckedContinuation<Job?, Never>? in
                guard !state.waiters.isEmpty else {
                    state.claimed.append(job)
                    return nil
                }
                guard Self.handOut(job, timeout: timeout(of: job), now: now, state: &state) else { return nil }
                state.inFlight += 1
                return state.waiters.popFirst()
            }
            waiter?.resume(returning: job)
        }
    }

    /// Sleeps until something may be runnable: a notification or local enqueue, a parked lane's
    /// turn, or a lease running out — whichever comes first, at most 5 s. While this instance's
    /// workers are idle, at most 1 s: a notification can be skipped when an accept elsewhere
    /// looked for idle instances just before this one said it was idle.
    private func sleepUntilWork(idle: Bool) async {
        var wait = Duration.seconds(idle ? 1 : 5)
        do {
            let rows = try await store.query(
                """
                SELECT extract(epoch FROM least(
                    (SELECT min(run_after) FROM hookline_lanes WHERE holder IS NULL),
                    (SELECT min(lease_until) FROM hookline_lanes WHERE holder IS NOT NULL)) - now())::float8
                """, "next_wake")
            if let seconds = try rows.first?.makeRandomAccess()[0].decode(Double?.self) {
                wait = min(wait, .milliseconds(Int64(max(0, seconds) * 1000) + 5))
            }
        } catch {
            // Counted with the query's other errors (hookline_db_errors_total); the wait stands.
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

extension PostgresJobBoard {
    /// Counts the lanes waiting for a route this instance is not configured with (during a rolling
    /// update that adds one, say): they wait for an instance that has it. `/metrics` shows them,
    /// and the log says so once per route.
    func countUnclaimable(reported: inout Set<String>) async {
        do {
            let rows = try await store.query(
                "SELECT route, count(*) FROM hookline_lanes WHERE route IS NOT NULL AND NOT (route = ANY (\(routes))) GROUP BY route", "unclaimable")
            let counts = try PostgresJournal.decodeAll(rows) { (try $0[0].decode(String.self), try $0[1].decode(Int.self)) }
            let now = Dictionary(counts, uniquingKeysWith: +)
            for route in reported.union(now.keys) {
                let readable = route.replacingOccurrences(of: "\u{1F}", with: " → ")
                store.metrics?.unclaimable(route: readable, lanes: now[route] ?? 0)
                if let lanes = now[route], !reported.contains(route) {
                    store.logger.warning(
                        "lanes wait for a route this instance is not configured with; an instance that has it applies them",
                        metadata: ["route": .string(readable), "lanes": "\(lanes)"])
                }
            }
            reported = Set(now.keys)
        } catch {
            store.logger.debug("could not count the lanes of routes configured elsewhere", metadata: ["error": "\(error)"])
        }
    }
}
