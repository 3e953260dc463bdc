import HooklineCore
import Logging
import NIOCore
import Synchronization

/// The journal kept in the JSONL audit log itself (`store: {kind: file}`, the default): one
/// process owns the file under an exclusive lock; the dedup window and the learned ids live in
/// memory and are rebuilt from the log at start-up.
package final class FileJournal: Journal {
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
    package static func open(
        path: String,
        options: AuditLogWriter.Options,
        observer: (any AuditWriteObserver)? = nil,
        logger: Logger = Logger(label: "hookline.audit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(JournalFailure) -> FileJournal {
        let started = ContinuousClock.now
        do {
            let file = try AuditFile.openLocked(path)
            do {
                try SystemCalls.unlink(path + ".next")
                var journal = AuditJournal()
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
                    settle: { confirmed, released in dedup.settle(confirmed: confirmed, released: released) }, logger: logger)
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

    package func appendOpening(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on loop: (any EventLoop)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void
    ) {
        // The jobs live in the in-memory queue; the line is all this store keeps. Dedup is
        // settled by the claim: one process owns the log, so a duplicate never reaches here.
        writer.appendOpening(record, claim: claim, on: loop, completion: completion)
    }

    package func append(_ record: AuditRecord) { writer.append(record) }

    package func flush() async -> JournalFailure? { await writer.flush() }

    // MARK: What is owed

    package func forEachOwed(_ body: (OwedEvent) -> Void) async throws(JournalFailure) {
        let pending = writer.withJournal { $0.pending }
        for event in pending {
            body(
                OwedEvent(
                    event: event.event, opening: writer.opening(of: event.event), owed: event.remainingTargets, attempts: event.attempts,
                    firstAttemptAt: event.firstAttemptAt))
        }
    }

    package func owedTargets() async throws(JournalFailure) -> [(event: String, targets: [String])] {
        writer.withJournal { $0.pending.map { ($0.event, $0.remainingTargets) } }
    }

    package func owedTargets(of event: String) async throws(JournalFailure) -> [String]? {
        writer.withJournal { $0.pendingEvent(event)?.remainingTargets }
    }

    package func opening(of event: String) async -> Result<AuditRecord, JournalReadError> { writer.opening(of: event) }

    /// How many events are owed.
    package var owedCount: Int { writer.withJournal { $0.pendingCount } }

    // MARK: Learned references

    package func references(at target: String, prefixes: [String]) async throws(JournalFailure) -> any ReferenceLookup { learned }

    /// One process owns the log: no claim can be lost, so `fence` is not checked.
    package func remember(_ reference: LearnedReference, at target: String, line: AuditRecord, fence: LaneClaim?) async throws(JournalFailure) -> Bool {
        learned.remember(target: target, key: reference.key, id: reference.id)
        writer.append(line)
        return true
    }

    // MARK: Redrive

    package func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) async throws(JournalFailure) -> [AuditRecord] {
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

    package func close() async { writer.close() }
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
    private let references = Mutex<[String: String]>([:])

    func reference(target: String, key: String) -> String? {
        references.withLock { $0[LearnedReference.slot(target: target, key: key)] }
    }

    func remember(target: String, key: String, id: String) {
        references.withLock { $0[LearnedReference.slot(target: target, key: key)] = id }
    }
}
