import HooklineCore
import Logging
import Synchronization

/// The journal kept in the JSONL audit log itself (`store: {kind: file}`, the default): one
/// process owns the file under an exclusive lock; the dedup window and the learned ids live in
/// memory and are rebuilt from the log at start-up. `FileStore` is made of it and a `JobQueue`.
package final class FileJournal: Sendable {
    /// What opening the log found.
    package struct OpenReport: Sendable {
        package var lines = 0
        package var unreadableLines = 0
        /// Bytes of a final line a crash cut short (removed).
        package var truncatedBytes = 0
        package var seconds = 0.0
    }

    package let path: String
    package let report: OpenReport
    package let writer: AuditLogWriter
    private let dedup: DedupTable
    private let learned: LearnedReferences

    private init(path: String, report: OpenReport, writer: AuditLogWriter, dedup: DedupTable, learned: LearnedReferences) {
        self.path = path
        self.report = report
        self.writer = writer
        self.dedup = dedup
        self.learned = learned
    }

    /// Opens the log at `path` under its lock and replays it: the torn final line of a crash is
    /// cut off (it was never acknowledged), a `.next` file left by an interrupted rotation is
    /// removed (the current file is still whole), and what is owed, the message ids inside the
    /// dedup window and the learned ids come back.
    /// The jobs of each durable opening go into `queue`, in the room reserved for them (given
    /// back when the write fails).
    package static func open(
        path: String,
        options: AuditLogWriter.Options,
        queue: JobQueue? = nil,
        observer: (any AuditWriteObserver)? = nil,
        logger: Logger = Logger(label: "hookline.audit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(JournalFailure) -> FileJournal {
        let started = ContinuousClock.now
        do {
            let file = try AuditFile.openLocked(path)
            do {
                try SystemCalls.unlink(path + ".next")
                var journal = AuditLogIndex()
                var report = OpenReport()
                let summary = try AuditLogReader.forEachLine(of: file.descriptor, path: path) { line, offset in
                    if let summary = AuditLineScanner.scan(line) {
                        journal.apply(summary, offset: offset)
                    } else if !line.allSatisfy({ $0 == UInt8(ascii: " ") }) {
                        report.unreadableLines += 1
                    }
                }
                report.lines = summary.lines
                report.truncatedBytes = summary.partialTail
                if summary.partialTail > 0 { try file.truncate(to: summary.completeBytes) }

                let dedup = DedupTable(maximumEntries: options.dedupMaxEntries, maximumAge: options.dedupMaxAge)
                let horizon = UnixTime.now() - options.dedupMaxAge
                for seen in journal.seenMessages where seen.seenAt >= horizon {
                    dedup.restore(seen.key, eventID: seen.eventID, seenAt: seen.seenAt)
                }
                let learned = LearnedReferences()
                for reference in journal.references { learned.remember(target: reference.target, key: reference.key, id: reference.id) }
                let writer = try AuditLogWriter(
                    file: file, options: options, journal: journal, observer: observer,
                    settle: { durable, claims, jobs in
                        if durable {
                            dedup.settle(confirmed: claims, released: [])
                            queue?.enqueue(reserved: jobs)
                        } else {
                            dedup.settle(confirmed: [], released: claims)
                            queue?.cancelReservation(jobs.count)
                        }
                    }, logger: logger)
                report.seconds = (ContinuousClock.now - started).secondsValue
                return FileJournal(path: path, report: report, writer: writer, dedup: dedup, learned: learned)
            } catch {
                file.abandon()
                throw error
            }
        } catch let error as FileError {
            throw JournalFailure(error)
        } catch {
            throw JournalFailure(FileError(path: path, operation: "read the audit log", error))
        }
    }

    // MARK: Dedup

    package func claim(message key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim {
        dedup.claim(key, eventID: eventID, now: now)
    }

    package func confirm(message key: MessageKey) { dedup.settle(confirmed: [key], released: []) }

    package func release(message key: MessageKey) { dedup.settle(confirmed: [], released: [key]) }

    // MARK: Appending

    /// Writes an opening line; once it is durable its claim is confirmed and its jobs queued
    /// (by the writer, for the whole batch), then `completion` runs on `executor`. One process
    /// owns the log, so a duplicate never reaches here: the claim settled it.
    package func appendOpening(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void
    ) {
        writer.appendOpening(record, claim: claim, jobs: jobs, on: executor, completion: completion)
    }

    package func append(_ record: AuditRecord) { writer.append(record) }

    package func flush() async -> JournalFailure? { await writer.flush() }

    // MARK: What is owed

    /// Every owed event, in the order they were received.
    package func forEachOwed(_ body: (OwedEvent) -> Void) {
        let pending = writer.withJournal { $0.pending }
        for event in pending {
            body(
                OwedEvent(
                    event: event.event, opening: writer.opening(of: event.event), owed: event.remainingTargets, attempts: event.attempts,
                    firstAttemptAt: event.firstAttemptAt))
        }
    }

    /// Every owed event with the targets it still owes, in receive order (no lines read).
    package func owedTargets() -> [(event: String, targets: [String])] {
        writer.withJournal { $0.pending.map { ($0.event, $0.remainingTargets) } }
    }

    package func owedTargets(of event: String) -> [String]? {
        writer.withJournal { $0.pendingEvent(event)?.remainingTargets }
    }

    package func opening(of event: String) -> Result<AuditRecord, JournalReadError> { writer.opening(of: event) }

    /// How many events are owed.
    package var owedCount: Int { writer.withJournal { $0.pendingCount } }

    // MARK: Learned references

    package var references: any ReferenceLookup { learned }

    package func remember(_ reference: LearnedReference, at target: String, line: AuditRecord) {
        learned.remember(target: target, key: reference.key, id: reference.id)
        writer.append(line)
    }

    // MARK: Redrive

    package func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) throws(JournalFailure) -> [AuditRecord] {
        var selection = RedriveSelection()
        do {
            _ = try AuditLogReader.forEachRecord(in: path) { selection.add($0) }
        } catch let error as FileError {
            throw JournalFailure(error)
        } catch {
            throw JournalFailure(FileError(path: path, operation: "read the audit log", error))
        }
        return selection.select(outcomes: outcomes, event: event, since: since, now: now)
    }

    // MARK: Health

    package var failure: JournalFailure? { writer.lastError }

    package func close() async { await writer.close() }
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


/// The in-memory dedup window, shared with the writer thread that settles claims per batch.
final class DedupTable: Sendable {
    private let window: Mutex<DedupWindow>

    init(maximumEntries: Int, maximumAge: Duration) {
        window = Mutex(DedupWindow(maximumEntries: maximumEntries, maximumAge: maximumAge))
    }

    func claim(_ key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim {
        window.withLock { window in
            if let entry = window.lookup(key, now: now) {
                return entry.committed ? .duplicate(eventID: entry.eventID) : .inProgress(eventID: entry.eventID)
            }
            window.insert(key, eventID: eventID, seenAt: now)
            return .new
        }
    }

    func settle(confirmed: [MessageKey], released: [MessageKey]) {
        window.withLock { window in
            for key in confirmed { window.commit(key) }
            for key in released { window.remove(key) }
        }
    }

    func restore(_ key: MessageKey, eventID: String, seenAt: UnixTime) {
        window.withLock { $0.insert(key, eventID: eventID, seenAt: seenAt, committed: true) }
    }
}

/// Ids learned from creates at targets (Plannr contact-detail uuids), in memory.
final class LearnedReferences: ReferenceLookup {
    private let references = Mutex(KnownReferences())

    func reference(target: String, key: String) -> String? {
        references.withLock { $0.reference(target: target, key: key) }
    }

    func remember(target: String, key: String, id: String) {
        references.withLock { $0.remember(target: target, key: key, id: id) }
    }
}
