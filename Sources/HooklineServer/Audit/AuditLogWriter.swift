import Foundation
import HooklineCore
import Logging
import NIOConcurrencyHelpers

/// Appends audit records to the JSONL log from one dedicated thread, and keeps the log's
/// journal (what is still owed, where it is in the file) current as it writes.
///
/// Records submitted while a write is in progress are batched: each batch of whole lines goes
/// out in one `write` and, when a caller asked for durability under `fsync: batch`, one
/// `fdatasync` shared by every request in the batch (group commit). Submission order is file
/// order. Past `rotateBytes` the log rotates (`AuditLogWriter+Rotation.swift`).
package final class AuditLogWriter: Sendable {
    /// Called once a batch containing the caller's record is written (and synced if asked):
    /// nil on success, else why it failed.
    package typealias Completion = @Sendable (JournalFailure?) -> Void
    /// Told, once per batch, the dedup claims and the jobs its openings carry: when `durable`,
    /// the claims are confirmed and the jobs may be taken; when the write failed, the claims are
    /// released and the jobs' room is given back.
    package typealias Settlement = @Sendable (_ durable: Bool, _ claims: [MessageKey], _ jobs: [Job]) -> Void

    /// How the log is kept.
    package struct Options: Sendable {
        package var fsync: FsyncPolicy
        /// Rotate past this size; 0 never rotates.
        package var rotateBytes: Int
        /// The dedup window's bounds: message ids older or beyond are not carried forward.
        package var dedupMaxAge: Duration
        package var dedupMaxEntries: Int
        /// Whether the log is the journal, whose owed events the writer tracks and rotation
        /// carries forward. Not when the journal is elsewhere (store: postgres): the log is then
        /// the record of what this instance did, and rotation carries nothing.
        package var keepsJournal: Bool

        package init(
            fsync: FsyncPolicy = .batch, rotateBytes: Int = 0, dedupMaxAge: Duration = .seconds(86_400), dedupMaxEntries: Int = 100_000,
            keepsJournal: Bool = true
        ) {
            self.fsync = fsync
            self.rotateBytes = rotateBytes
            self.dedupMaxAge = dedupMaxAge
            self.dedupMaxEntries = dedupMaxEntries
            self.keepsJournal = keepsJournal
        }
    }

    /// A record to encode, or a line already encoded (copied from the database's outbox).
    private enum Entry: Sendable {
        case record(AuditRecord)
        case line([UInt8])
    }

    private struct Pending: Sendable {
        var records: [Entry] = []
        var completions: [Waiter] = []
        var needsSync = false
        var closed = false
    }

    /// The open file and its journal; changed only by the writer thread.
    struct FileState: Sendable {
        var file: AuditFile
        var size: Int64
        /// The size right after the last rotation (what was carried forward): the file rotates
        /// again once it has grown `rotateBytes` past it, so a large carry-forward cannot cause
        /// a rotation on every write.
        var baseSize: Int64 = 0
        var journal: AuditJournal
        var rotations = 0
    }

    package var path: String { file.withLockedValue { $0.file.path } }
    package let options: Options
    let observer: (any AuditWriteObserver)?
    let logger: Logger
    let settle: Settlement?
    private let pending = ConditionLock(value: false)
    private let queue = NIOLockedValueBox(Pending())
    let file: NIOLockedValueBox<FileState>
    let health = NIOLockedValueBox<JournalFailure?>(nil)
    private let finished = ConditionLock(value: false)

    /// Starts the writer thread on an open, locked log. `journal` is what recovery read from it.
    package init(
        file: AuditFile,
        options: Options,
        journal: AuditJournal = AuditJournal(),
        observer: (any AuditWriteObserver)? = nil,
        settle: Settlement? = nil,
        logger: Logger = Logger(label: "hookline.audit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(FileError) {
        self.options = options
        self.observer = observer
        self.settle = settle
        self.logger = logger
        self.file = NIOLockedValueBox(FileState(file: file, size: try file.size(), journal: journal))
        let thread = Thread { [self] in self.run() }
        thread.name = "hookline-audit"
        thread.start()
    }

    /// The last write error, or nil while the log is writable (`/readyz`).
    package var lastError: JournalFailure? { health.withLockedValue { $0 } }

    /// Reads the journal as of the last completed write, under its lock (without copying it).
    package func withJournal<Result>(_ body: (AuditJournal) throws -> Result) rethrows -> Result {
        try file.withLockedValue { try body($0.journal) }
    }

    /// How many times the log has rotated since start.
    package var rotations: Int { file.withLockedValue { $0.rotations } }

    /// Appends a record; returns at once.
    package func append(_ record: AuditRecord) {
        submit(.record(record), durable: false, waiter: nil)
    }

    /// Appends lines already encoded (each with its newline) and calls `completion` once they
    /// are written — and, under `fsync: batch`, on disk.
    package func appendDurably(lines: [[UInt8]], completion: @escaping Completion) {
        guard let last = lines.last else {
            completion(nil)
            return
        }
        for line in lines.dropLast() { submit(.line(line), durable: false, waiter: nil) }
        submit(.line(last), durable: true, waiter: Waiter(executor: nil, completion: completion))
    }

    /// Appends an event's opening line and tells `completion` `.durable` or `.failed` once it is
    /// written (and synced), on `executor` when given: a batch's completions for one executor run
    /// in a single hop. The caller answers its sender only then. `claim` and `jobs` go to the
    /// writer's `settle` with the batch.
    package func appendOpening(
        _ record: AuditRecord, claim: MessageKey?, jobs: [Job], on executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void
    ) {
        submit(.record(record), durable: true, waiter: Waiter(executor: executor, opening: completion, claim: claim, jobs: jobs))
    }

    /// Waits until everything submitted so far is written (and synced under `fsync: batch`).
    package func flush() async -> JournalFailure? {
        await withCheckedContinuation { continuation in
            submit(nil, durable: true, waiter: Waiter(executor: nil, completion: { continuation.resume(returning: $0) }))
        }
    }

    /// Writes what is pending, syncs, stops the thread and closes the file.
    package func close() {
        let alreadyClosed = queue.withLockedValue { pending -> Bool in
            defer {
                pending.closed = true
                pending.needsSync = pending.needsSync || options.fsync == .batch
            }
            return pending.closed
        }
        guard !alreadyClosed else { return }
        signal()
        finished.lock(whenValue: true)
        finished.unlock()
    }

    private func submit(_ record: Entry?, durable: Bool, waiter: Waiter?) {
        let accepted = queue.withLockedValue { pending -> Bool in
            guard !pending.closed else { return false }
            if let record { pending.records.append(record) }
            if let waiter { pending.completions.append(waiter) }
            if durable && options.fsync == .batch { pending.needsSync = true }
            return true
        }
        guard accepted else {
            if let waiter {
                let failure = JournalFailure(FileError(path: path, operation: "write", reason: "the audit log is closed"))
                settle?(false, waiter.claim.map { [$0] } ?? [], waiter.jobs)
                waiter.completion(failure)
            }
            return
        }
        signal()
    }

    private func signal() {
        pending.lock()
        pending.unlock(withValue: true)
    }

    private func run() {
        var buffer: [UInt8] = []
        var summaries: [(AuditLineSummary, Int64)] = []
        // The arrays submissions fill are swapped with these at each batch and come back empty
        // with their capacity: a batch allocates no arrays.
        var spareRecords: [Entry] = []
        var spareCompletions: [Waiter] = []
        var claims: [MessageKey] = []
        var settledJobs: [Job] = []
        while true {
            pending.lock(whenValue: true)
            pending.unlock(withValue: false)
            var batch = queue.withLockedValue { pending -> Pending in
                let batch = pending
                pending.records = spareRecords
                pending.completions = spareCompletions
                pending.needsSync = false
                return batch
            }
            spareRecords = []
            spareCompletions = []
            defer {
                batch.records.removeAll(keepingCapacity: true)
                batch.completions.removeAll(keepingCapacity: true)
                spareRecords = batch.records
                spareCompletions = batch.completions
            }
            let (file, start) = self.file.withLockedValue { ($0.file, $0.size) }
            buffer.removeAll(keepingCapacity: true)
            summaries.removeAll(keepingCapacity: true)
            for entry in batch.records {
                switch entry {
                case .record(let record):
                    if options.keepsJournal { summaries.append((AuditLineSummary(record), start + Int64(buffer.count))) }
                    record.appendJSONLine(to: &buffer)
                case .line(let line):
                    buffer.append(contentsOf: line)
                }
            }
            let error = write(buffer, summaries: summaries, to: file, sync: batch.needsSync)
            report(error)
            complete(batch.completions, error: error, claims: &claims, jobs: &settledJobs)

            // Not while closing: the last lines (the pending notes) stay in the current file.
            let grown = self.file.withLockedValue { $0.size - $0.baseSize }
            if error == nil, !batch.closed, options.rotateBytes > 0, grown >= Int64(options.rotateBytes) {
                rotate()
            }
            if batch.closed {
                do {
                    try self.file.withLockedValue { try $0.file.close() }
                } catch {
                    logger.error("the audit log did not close cleanly; its last writes may be lost", metadata: ["error": "\(error)"])
                }
                finished.lock()
                finished.unlock(withValue: true)
                return
            }
        }
    }

    /// Writes one batch and applies its lines to the journal; syncs when asked.
    private func write(_ buffer: [UInt8], summaries: [(AuditLineSummary, Int64)], to file: AuditFile, sync: Bool) -> JournalFailure? {
        do {
            if !buffer.isEmpty {
                let started = ContinuousClock.now
                try file.append(buffer)
                observer?.wrote(bytes: buffer.count, duration: .now - started)
            }
            let written = Int64(buffer.count)
            self.file.withLockedValue { state in
                state.size += written
                for (summary, offset) in summaries { state.journal.apply(summary, offset: offset) }
                // Message ids past the dedup window's bounds are never carried forward: forget
                // them (oldest first, a chunk at a time) so the journal's memory stays bounded
                // without rotation too.
                if state.journal.seenMessages.count > max(options.dedupMaxEntries, 1024) + ChunkedList<AuditJournal.SeenMessage>.chunkSize {
                    state.journal.trimSeen(olderThan: UnixTime.now() - options.dedupMaxAge, keeping: options.dedupMaxEntries)
                }
            }
            if sync {
                let started = ContinuousClock.now
                try file.sync()
                observer?.synced(duration: .now - started)
            }
            return nil
        } catch {
            return JournalFailure(error)
        }
    }

    /// Logs the log turning unwritable, or writable again.
    private func report(_ error: JournalFailure?) {
        let previous = health.withLockedValue { health in
            defer { health = error }
            return health
        }
        if let error, previous == nil {
            logger.error("the audit log cannot be written; deliveries are answered 503", metadata: ["error": "\(error)"])
        } else if error == nil, let previous {
            logger.notice("the audit log is writable again", metadata: ["was": "\(previous)"])
        }
    }
}
