import HooklineCore
import NIOCore

/// What a message id's first sight means for this delivery.
package enum DedupClaim: Sendable, Hashable {
    /// Never seen: this delivery is the one to process.
    case new
    /// Seen and journaled: answer `duplicate`.
    case duplicate(eventID: String)
    /// Seen but not yet journaled (another connection is accepting it): ask the sender to retry.
    case inProgress(eventID: String)
}

/// What became of an opening line handed to the journal.
package enum OpeningOutcome: Sendable, Hashable {
    /// It is durable: the sender may be answered 2xx.
    case durable
    /// Its message id was already accepted (by this instance or another): the original event.
    case duplicate(of: String)
    /// It was not kept; the sender is answered 503 and retries.
    case failed(JournalFailure)
}

/// An event the journal owes: its opening line read back, and how far each owed target got.
package struct OwedEvent: Sendable {
    package var event: String
    /// The `received` (or `redriven`) line, or why it could not be read back.
    package var opening: Result<AuditRecord, JournalReadError>
    /// Targets without a terminal line, in the order the event named them.
    package var owed: [String]
    /// Attempts made per target, and the wall-clock time of each target's first retry line.
    package var attempts: [String: Int]
    package var firstAttemptAt: [String: UnixTime]
}

/// Everything the queue and the workers need from durable storage. The file journal (the JSONL
/// audit log, `FileJournal`) is the first conformer; `JournalConformanceTests` hold any store to
/// the same contract.
package protocol Journal: Sendable {
    // MARK: Dedup

    /// Claims a message id for `eventID` at `now`, or reports who has it.
    /// A claim is settled by `appendOpening`, or by `confirm`/`release`.
    func claim(message key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim
    /// The claimed delivery was folded into another (coalesced): later deliveries are duplicates.
    func confirm(message key: MessageKey)
    /// The claimed delivery was not journaled: a redelivery is accepted.
    func release(message key: MessageKey)

    // MARK: Appending

    /// Appends an event's opening line (`received` or `redriven`) with its jobs, and calls
    /// `completion` once it is durable — or once it turns out a duplicate, or is not kept — on
    /// `loop` when given. Concurrent appends share one commit. `claim` is the delivery's dedup
    /// claim, settled with it; a store shared by several instances settles a redelivery to
    /// another one here, as `.duplicate`.
    func appendOpening(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on loop: (any EventLoop)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void)
    /// Appends an outcome line; returns at once.
    func append(_ record: AuditRecord)
    /// Waits until everything appended so far is durable.
    func flush() async -> JournalFailure?

    // MARK: What is owed

    /// Every owed event, in the order they were received.
    func forEachOwed(_ body: (OwedEvent) -> Void) async throws(JournalFailure)
    /// Every owed event with the targets it still owes, in receive order (no lines read).
    func owedTargets() async throws(JournalFailure) -> [(event: String, targets: [String])]
    /// The targets `event` still owes, or nil when it owes none.
    func owedTargets(of event: String) async throws(JournalFailure) -> [String]?
    /// The opening line of an owed event (a queued job re-reads its payload from it).
    func opening(of event: String) async -> Result<AuditRecord, JournalReadError>

    // MARK: Learned references

    /// The ids learned at `target` that a job may need: those whose key starts with one of
    /// `prefixes` (a store may return more).
    func references(at target: String, prefixes: [String]) async throws(JournalFailure) -> any ReferenceLookup
    /// Keeps an id a call created, with its `created` line; once this returns true, any
    /// instance's next job at the target sees it. False, keeping and writing nothing, when `fence`
    /// (the claim the job ran under) no longer holds its lane: the lane's new holder may be learning
    /// its own id, which a late one must not overwrite.
    func remember(_ reference: LearnedReference, at target: String, line: AuditRecord, fence: LaneClaim?) async throws(JournalFailure) -> Bool

    // MARK: Redrive

    /// `redriven` records for the targets whose last terminal outcome is in `outcomes`.
    func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) async throws(JournalFailure) -> [AuditRecord]

    // MARK: Health

    /// Why the journal cannot be written right now, or nil (`/readyz`).
    var failure: JournalFailure? { get }
    /// Writes what is pending and closes.
    func close() async
}
