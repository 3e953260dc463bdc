import HooklineCore
import ServiceLifecycle

/// Everything Hookline keeps: the events it accepted, the jobs they owe, what each target has
/// told it, and each target's call rate. Ingest, the workers, redrive and the runtime see
/// storage only through this seam. Two stores keep it: the JSONL audit log with an in-memory
/// queue (`FileStore`, one process) and PostgreSQL (`PostgresStore`, a fleet). `StoreFactory`
/// is the one place that picks one; `StoreConformanceTests` hold both to every promise here.
///
/// Every requirement is synchronous (cheap, in memory) or `async`; none names an event loop. A
/// promise a store cannot keep is visible in a type: `thinFetches` is nil when deliveries are
/// never coalesced, and `permit` is `.granted` when no lease can run out.
package protocol Store: Sendable {
    // MARK: Accepting a delivery

    /// Claims a message id for `eventID` at `now`, or reports who has it. A claim is settled by
    /// `accept`, by `release`, or by `thinFetches.confirm`.
    func claim(message key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim
    /// The claimed delivery was not kept: a redelivery is accepted.
    func release(message key: MessageKey)
    /// Coalescing of thin messages (a second fetch of a contact whose fetch has not started
    /// yet): nil when the store never coalesces — in a fleet, each instance fetches.
    var thinFetches: (any ThinFetchCoalescing)? { get }
    /// Claims room for `jobs` jobs, all or nothing, before anything is written: a full store
    /// writes nothing. `accept` uses the room; `cancelReservation` gives it back.
    func reserve(_ jobs: Int) -> Bool
    func cancelReservation(_ jobs: Int)
    /// Keeps an event's opening line (`received` or `redriven`) and its `jobs`, whose room
    /// `reserve` claimed, and calls `completion` once they are durable and the jobs can be
    /// taken — or once the event turns out a duplicate, or is not kept, when the room is given
    /// back. On `executor` when given: a commit's completions bound to one executor are handed
    /// over together. Concurrent accepts share one commit. `claim`, the delivery's dedup claim,
    /// is settled with it; a store shared by several instances settles a redelivery to another
    /// one here, as `.duplicate`.
    func accept(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void)
    /// Appends a line that ends nothing a job waits for (`ignored`, `rejected`, `coalesced`,
    /// `recovered`, `pending`); returns at once.
    func append(_ record: AuditRecord)
    /// Jobs held, against the capacity past which deliveries are answered 503.
    var occupancy: StoreOccupancy { get }

    // MARK: Running jobs

    /// The next runnable job: the head of its lane (one target and contact), never two of one
    /// lane at once. Waits for one; nil once `stopHandingOut` was called.
    func next() async -> Job?
    /// Whether a call with `callTimeout` may start for `job` now. Asked right before each call
    /// is sent: a shared store grants it only while this instance's lease on the job's lane
    /// covers the call and a margin (`LeaseBook`); a store of one process always grants it.
    func permit(_ job: Job, callTimeout: Duration) -> CallPermission
    /// Whether `job`'s lease still covered a call with `callTimeout` when its request had just
    /// been written (`LeaseBook.covers`). False means the instance stalled between the last
    /// `permit` and the write: the call may have reached the target after another instance took
    /// the lane and applied newer updates. A store of one process always says true.
    func covers(_ job: Job, callTimeout: Duration) -> Bool
    /// The opening of the event whose job is the newest in `job`'s lane, finished or not — what
    /// the target last got, or will get, in the lane's order: queued again after a call that went
    /// out late, so the target ends at it. Nil for a store of one process (no lane changes hands).
    func newestOpening(inLaneOf job: Job) async throws(JournalFailure) -> AuditRecord?
    /// Gives back a job whose next call was not permitted, unfinished and without a line: the
    /// lane's next holder — another instance, or this one later — runs it.
    func abandon(_ job: Job) async
    /// The job reached a terminal outcome: `line` is written and its lane moves on — unless the
    /// answer is `fenced` or `unwritten`, when nothing is written.
    func finish(_ job: Job, line: AuditRecord) async -> JobWrite
    /// Holds the job, and its lane, until `until`, writing `line` (a `retry`) when given —
    /// unless the answer is `fenced` or `unwritten`, when nothing is written.
    func park(_ job: Job, until: MonotonicTime, line: AuditRecord?) async -> JobWrite
    /// The opening line of an owed event (a job whose patch was not kept in memory re-reads it).
    func opening(of event: String) async -> Result<AuditRecord, JournalReadError>
    /// The ids learned at `target` that a job may need: those whose key starts with one of
    /// `prefixes` (a store may return more).
    func references(at target: String, prefixes: [String]) async throws(JournalFailure) -> any ReferenceLookup
    /// Keeps an id a call created, with its `created` line; once this returns true, any
    /// instance's next job at the target sees it. False, keeping and writing nothing, when
    /// `fence` (the claim the job ran under) no longer holds its lane: the lane's new holder may
    /// be learning its own id, which a late one must not overwrite.
    func remember(_ reference: LearnedReference, at target: String, line: AuditRecord, fence: LaneClaim?) async throws(JournalFailure) -> Bool
    /// The call rate every caller of `target` shares (in a fleet, every instance); nil when the
    /// target has no `rate_limit`.
    func rateLimiter(for target: TargetSettings) -> (any TargetRateLimiter)?

    // MARK: Pausing a target

    /// Holds `target`: its jobs wait, each in its place, and none is handed out (a call in
    /// flight finishes) until `resume`. Written before it returns — a `paused` line naming
    /// `by` — so it holds across a restart; a shared store holds it for the whole fleet. False,
    /// writing nothing, when the target was paused already.
    func pause(_ target: String, by: String) async throws(JournalFailure) -> Bool
    /// Releases `target`'s jobs, in order, with a `resumed` line naming `by`. False, writing
    /// nothing, when it was not paused.
    func resume(_ target: String, by: String) async throws(JournalFailure) -> Bool
    /// The targets paused now, by name. A shared store's view follows the fleet's within a second.
    var paused: [String: PausedTarget] { get }

    // MARK: Alerts

    /// When each target's oldest unfinished job's event was received; a target with none is
    /// absent. Read every few seconds, never holding up ingest for long.
    func oldestWaiting() async throws(JournalFailure) -> [String: UnixTime]
    /// An alert's change of state, or its repeat (`repeatEvery`), about to be sent: true when
    /// this instance is the one to send it. A store of one process always says yes; a shared
    /// store says yes to the instance whose change reached it first, so a fleet sends each alert
    /// once. Every alert it says yes to is kept for `sentAlerts`.
    func record(alert message: AlertMessage, repeatEvery: Duration?) async throws(JournalFailure) -> Bool
    /// Each configured target's health: jobs applied and ended over the last hour and day, its
    /// last success, its unfinished jobs and the oldest one's receipt. A file store counts from
    /// its log (the last day of it, read back at start, up to `FileStore.healthWarmUpBytes`);
    /// a shared store, from the fleet's jobs (within `store.retention`).
    func targetHealth() async throws -> [String: TargetHealth]
    /// The alerts sent, newest first.
    func sentAlerts(limit: Int) async throws(JournalFailure) -> [SentAlert]
    /// The name alerts are sent under: the host, or the instance's name in a fleet.
    var instanceName: String { get }

    // MARK: History (the console)

    /// Events matching `query`, newest first, `limit` at most, and the cursor of the next page.
    /// A file store reads its audit log back within a read budget per page; a shared store reads
    /// its events table (within `store.retention`).
    func events(_ query: EventQuery, limit: Int) async throws -> EventPage
    /// The event's opening (with its payload) and every line about it; nil when unknown.
    func event(_ id: String) async throws -> EventDetail?

    // MARK: Redrive

    /// The targets `event` still owes, or nil when it owes none.
    func owedTargets(of event: String) async throws(JournalFailure) -> [String]?
    /// `redriven` records for the targets whose last terminal outcome is in `outcomes`.
    func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) async throws(JournalFailure) -> [AuditRecord]

    // MARK: Personal data

    /// Erases the personal data of `erasure`'s contact from everything the store keeps — the
    /// audit log's files (the live one rotated first), and a shared store's events and outbox —
    /// and writes an `erased` line naming `by`. Refused, changing nothing, while a target is still
    /// owed one of the contact's events (`report.owed`). A dry run changes nothing and reports
    /// what would change. A run cut short is finished by the next.
    func erase(_ erasure: ContactErasure, by: String, dryRun: Bool) async throws -> ErasureReport

    // MARK: Life

    /// The configuration was reloaded: routes, targets and sources from now on (a shared store
    /// claims the lanes of the routes configured, and decodes claimed jobs with the sources).
    func configurationChanged(_ configuration: HooklineConfiguration, events: EventJobs)

    /// What opening the store found and queued again.
    var recovery: RecoveryReport { get }
    /// Why the store cannot be written right now, or nil (`/readyz`).
    var failure: JournalFailure? { get }
    /// The database pool's size and the queries in it now, for `/metrics`; nil without one.
    var databasePool: DatabasePoolReading? { get }
    /// The store's own work while the runtime runs, as services (a fleet's commits, claims,
    /// renewals, LISTEN, pruning): the runtime runs them in its `ServiceGroup` and stops them
    /// after the workers, before `close`. Empty for a store with none.
    var background: [any Service] { get }
    /// Waits until everything written so far is durable.
    func flush() async -> JournalFailure?
    /// Stops handing out jobs: waiting and later `next()` calls return nil.
    func stopHandingOut()
    /// Once the workers stopped: leaves what is still owed for the next start (the file store
    /// writes a `pending` line per owed event; a shared store gives this instance's lanes back to
    /// the fleet at once), writes what is pending, and closes.
    func close() async
}

/// An alert as it was sent, for the console.
package struct SentAlert: Sendable, Hashable {
    package var rule: String
    package var subjectKind: String
    package var subject: String
    package var state: AlertState
    package var since: UnixTime
    package var sentAt: UnixTime
    package var sentBy: String
    package var summary: String

    package init(_ message: AlertMessage) {
        self.init(
            rule: message.alert.rule, subjectKind: message.alert.subjectKind, subject: message.alert.subject, state: message.alert.state,
            since: message.since, sentAt: message.at, sentBy: message.instance, summary: message.summary)
    }

    package init(
        rule: String, subjectKind: String, subject: String, state: AlertState, since: UnixTime, sentAt: UnixTime, sentBy: String, summary: String
    ) {
        self.rule = rule
        self.subjectKind = subjectKind
        self.subject = subject
        self.state = state
        self.since = since
        self.sentAt = sentAt
        self.sentBy = sentBy
        self.summary = summary
    }
}

/// Where a store runs an accept's completion: the accepting connection's event loop. The
/// listener adapts its loops to it (`LoopExecutor`), so the store knows no NIO.
package protocol CompletionExecutor: AnyObject, Sendable {
    func execute(_ work: @escaping @Sendable () -> Void)
}

/// A store's jobs against its capacity.
package struct StoreOccupancy: Sendable, Hashable {
    /// Jobs held at most; past it, deliveries are answered 503.
    package var capacity: Int
    /// Jobs admitted and not finished, reservations included.
    package var jobs: Int
    /// Jobs waiting (not in flight).
    package var waiting: Int

    package init(capacity: Int, jobs: Int, waiting: Int) {
        self.capacity = capacity
        self.jobs = jobs
        self.waiting = waiting
    }
}

/// A shared store's connection pool, for `/metrics`.
package struct DatabasePoolReading: Sendable, Hashable {
    package var size: Int
    package var inUse: Int
}

/// Folding a thin message into another whose fetch of the same contact has not started.
package protocol ThinFetchCoalescing: Sendable {
    /// The event whose thin fetch with this key has not started yet, if one is waiting.
    func waitingFetch(for key: String) -> String?
    /// The claimed delivery was folded into another: later deliveries are duplicates.
    func confirm(message key: MessageKey)
}

/// What a message id's first sight means for this delivery.
package enum DedupClaim: Sendable, Hashable {
    /// Never seen: this delivery is the one to process.
    case new
    /// Seen and kept: answer `duplicate`.
    case duplicate(eventID: String)
    /// Seen but not yet kept (another connection is accepting it): ask the sender to retry.
    case inProgress(eventID: String)
}

/// What became of an accepted event.
package enum OpeningOutcome: Sendable, Hashable {
    /// It is durable and its jobs can be taken: the sender may be answered 2xx.
    case durable
    /// Its message id was already accepted (by this instance or another): the original event.
    case duplicate(of: String)
    /// It was not kept; the sender is answered 503 and retries.
    case failed(JournalFailure)
}

/// What became of a job's finish or park.
package enum JobWrite: Sendable, Hashable {
    /// Written: the job ended, or waits for its next attempt.
    case written
    /// Not written: another claim holds the job's lane now (this instance stalled, or was cut off
    /// from the store), and ends the job.
    case fenced
    /// Not written: Hookline is stopping and its drain deadline passed first. The job stays owed.
    case unwritten
}

extension Store {
    /// Appends `record` and waits until it is durable: an operator's action is on record before
    /// it is answered.
    package func appendDurably(_ record: AuditRecord) async throws(JournalFailure) {
        append(record)
        if let failure = await flush() { throw failure }
    }

    /// `accept` awaited, with no executor.
    package func accept(_ record: AuditRecord, jobs: [Job], claim: MessageKey? = nil) async -> OpeningOutcome {
        await withCheckedContinuation { continuation in
            accept(record, jobs: jobs, claim: claim, on: nil) { continuation.resume(returning: $0) }
        }
    }
}

/// One loop of a store's background work as a service: it runs until graceful shutdown (or
/// cancellation) and is named in the service group's logs.
struct StoreLoop: Service, CustomStringConvertible {
    let description: String
    let body: @Sendable () async -> Void

    init(_ name: String, _ body: @escaping @Sendable () async -> Void) {
        self.description = "store: \(name)"
        self.body = body
    }

    func run() async {
        await cancelWhenGracefulShutdown(body)
        // A loop that ends on its own (the claim loop, once the store stops handing out jobs)
        // waits for its turn: a service ending before the group stops it fails the group.
        try? await gracefulShutdown()
    }
}
