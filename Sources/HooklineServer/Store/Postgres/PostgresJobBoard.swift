import DequeModule
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
package final class PostgresJobBoard: Sendable {
    struct State {
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

        /// Drops the jobs claimed ahead under `claims` (and any without a claim): never started.
        mutating func dropClaimedAhead(_ claims: [LaneClaim]) {
            guard !claims.isEmpty else { return }
            let dropped = Set(claims)
            claimed.removeAll { $0.ticket.map { dropped.contains($0.claim) } ?? true }
        }
    }

    package let capacity: Int
    /// Lanes claimed ahead of the workers asking: one claim round trip then serves many jobs.
    let prefetch: Int
    let store: PostgresDatabase
    /// Where the lines of jobs claimed, finished and parked go; its outbox is the finishes'.
    let journal: PostgresJournal
    /// The sources and routes claimed jobs are decoded with, and each target's call timeout
    /// (what a job's lease must cover before it is handed out): a reload replaces them.
    private let live: LiveValue<(events: EventJobs, timeouts: [String: Duration])>
    var events: EventJobs { live.current.events }
    private var timeouts: [String: Duration] { live.current.timeouts }
    /// `source` US `target` of every route configured here: the lanes this instance claims,
    /// unless their target is paused (`pausing`).
    var routes: [String] { pausing.routes }
    let pausing: PausedRoutes
    private let finishes: FinishBatcher
    let state: Mutex<State>

    init(store: PostgresDatabase, journal: PostgresJournal, events: EventJobs, configuration: HooklineConfiguration) {
        self.store = store
        self.journal = journal
        self.live = LiveValue((events, Self.timeouts(configuration)))
        capacity = configuration.queue.capacity
        prefetch = max(1, configuration.queue.workers)
        pausing = PausedRoutes(routes: configuration.routes)
        state = Mutex(State(book: LeaseBook(terms: store.settings.leaseTerms)))
        finishes = FinishBatcher(store: store, outbox: journal.outbox, routes: pausing)
    }

    private static func timeouts(_ configuration: HooklineConfiguration) -> [String: Duration] {
        Dictionary(configuration.targets.map { ($0.name, $0.timeout) }, uniquingKeysWith: { first, _ in first })
    }

    /// The routes, targets and sources configured now (a reload): lanes of new routes are
    /// claimed from now on, and jobs claimed are decoded with these sources.
    func update(_ configuration: HooklineConfiguration, events: EventJobs) {
        live.replace(with: (events, Self.timeouts(configuration)))
        pausing.update(routes: configuration.routes)
    }

    /// Commits the workers' finishes until the store's background work is cancelled.
    func runFinishes() async { await finishes.run() }

    package var occupancy: StoreOccupancy {
        state.withLock { state in
            StoreOccupancy(
                capacity: capacity, jobs: state.unfinished + state.reserved, waiting: max(0, state.unfinished + state.reserved - state.inFlight))
        }
    }

    package func reserve(_ jobs: Int) -> Bool {
        state.withLock { state in
            guard jobs >= 0, state.unfinished + state.reserved + jobs <= capacity else { return false }
            state.reserved += jobs
            return true
        }
    }

    package func cancelReservation(_ jobs: Int) { state.withLock { $0.reserved -= jobs } }

    package func enqueue(reserved jobs: [Job]) {
        state.withLock { state in
            state.reserved -= jobs.count
            state.unfinished += jobs.count
        }
        store.wake.signal()
    }

    func timeout(of job: Job) -> Duration { timeouts[job.target] ?? TargetSettings.defaultTimeout }

    package func next() async -> Job? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Job?, Never>) in
            let now = LeaseClock.now()
            let (job, closed, refill) = state.withLock { state -> (Job?, Bool, Bool) in
                if state.closed { return (nil, true, false) }
                while let job = state.claimed.popFirst() {
                    if Self.handOut(job, timeout: timeout(of: job), paused: pausing.isPaused(job.target), now: now, state: &state) {
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

    /// Whether the job claimed ahead may go to a worker: its target must not be paused, and its
    /// lease must still cover a call. If not, its claim is given back unstarted.
    static func handOut(_ job: Job, timeout: Duration, paused: Bool, now: MonotonicTime, state: inout State) -> Bool {
        guard let claim = job.ticket?.claim else { return false }
        if paused {
            state.book.ended(claim)
            state.giveBack.append(claim)
            return false
        }
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

    package func covers(_ job: Job, callTimeout: Duration) -> Bool {
        guard let claim = job.ticket?.claim else { return false }
        return state.withLock { $0.book.covers(claim, callTimeout: callTimeout, writtenAt: LeaseClock.now()) }
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

    package func finish(_ job: Job, line: AuditRecord) async -> JobWrite {
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let ticket = job.ticket else { return .fenced }
        state.withLock { $0.book.ending(ticket.claim) }
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
            journal.outbox.writeAfterOpening((seq, bytes), event: job.event.id)
        case .again:
            // The first commit's line is in the outbox: the sweep writes it.
            break
        }
        // Counted out at once; `recount` (every second) brings in what the rest of the fleet did.
        state.withLock { $0.unfinished = max(0, $0.unfinished - 1) }
        if let next = answer.next {
            state.withLock { $0.book.claimed(ticket.claim, sentAt: answer.sentAt) }
            await hand(next)
        } else {
            state.withLock { $0.book.ended(ticket.claim) }
        }
        return .written
    }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?) async -> JobWrite {
        defer { state.withLock { $0.inFlight -= 1 } }
        guard let ticket = job.ticket else { return .fenced }
        state.withLock { $0.book.ending(ticket.claim) }
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
        store.wake.signal(at: until)
        return .written
    }

    /// Runs `body` until the database answers (a finish or park must not be lost to a blip,
    /// also while draining): nil only when the drain deadline cancels it first. The job's lane
    /// then stays held until its lease runs out, and another instance applies it again.
    private func persist<Result>(_ what: String, _ body: () async throws -> Result) async -> Result? {
        let backoff = RetryPolicy.untilStopped(base: .milliseconds(100), max: .seconds(5))
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                attempt += 1
                let delay = backoff.delay(afterAttempt: attempt)
                store.logger.warning("could not \(what) a job; trying again", metadata: ["error": "\(error)", "in_ms": "\(delay.wholeMilliseconds)"])
                guard await HooklineRuntime.sleep(for: delay) else { return nil }
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
}
