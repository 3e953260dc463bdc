import HooklineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Appends audit records to the JSONL log from one dedicated thread, and keeps the log's
/// journal (what is still owed, where it is in the file) current as it writes.
///
/// Records submitted while a write is in progress are batched by `GroupCommit`: each batch of
/// whole lines goes out in one `write` and, when a caller asked for durability under
/// `fsync: batch`, one `fdatasync` shared by every request in the batch. Submission order is
/// file order. Past `rotateBytes` the log rotates (`AuditLogWriter+Rotation.swift`). The writes
/// and syncs block, so the commits run on a thread of their own, never the shared pool.
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
        /// What the log keeps of payloads once nothing needs them whole (`audit.payloads`): as
        /// the journal, the live file keeps them whole and each archive is kept less
        /// (`ArchiveKeeping`); otherwise every opening is written kept less.
        package var payloads: PayloadKeeping

        package init(
            fsync: FsyncPolicy = .batch, rotateBytes: Int = 0, dedupMaxAge: Duration = .seconds(86_400), dedupMaxEntries: Int = 100_000,
            keepsJournal: Bool = true, payloads: PayloadKeeping = .full
        ) {
            self.fsync = fsync
            self.rotateBytes = rotateBytes
            self.dedupMaxAge = dedupMaxAge
            self.dedupMaxEntries = dedupMaxEntries
            self.keepsJournal = keepsJournal
            self.payloads = payloads
        }
    }

    /// A record to encode, or a line already encoded (copied from the database's outbox).
    private enum Entry: Sendable {
        case record(AuditRecord)
        case line([UInt8])
    }

    /// What one submission asks of the next commit.
    private struct Submission: Sendable {
        var entry: Entry?
        var durable: Bool
        var waiter: Waiter?
        /// The last submission: the commit that takes it closes the file.
        var closes = false
        /// Rotates the file once the batch is written, then calls this with the outcome.
        var rotated: (@Sendable (JournalFailure?) -> Void)?
    }

    /// The open file and its journal; changed only by the writer thread.
    struct FileState: Sendable {
        var file: AuditFile
        var size: Int64
        /// The size right after the last rotation (what was carried forward): the file rotates
        /// again once it has grown `rotateBytes` past it, so a large carry-forward cannot cause
        /// a rotation on every write.
        var baseSize: Int64 = 0
        var journal: AuditLogIndex
        var rotations = 0
    }

    package var path: String { file.withLockedValue { $0.file.path } }
    package let options: Options
    let observer: (any AuditWriteObserver)?
    let logger: Logger
    let settle: Settlement?
    /// Lines one commit takes at most.
    static let batchLimit = 8192
    private let commits = GroupCommit<Submission>(limit: batchLimit)
    /// The writer's own thread, and the commits running on it until the file is closed.
    private let thread: MultiThreadedEventLoopGroup
    private let running = NIOLockedValueBox<Task<Void, Never>?>(nil)
    let file: NIOLockedValueBox<FileState>
    let health = NIOLockedValueBox<JournalFailure?>(nil)
    /// Held while the log's archives are rewritten (an erase, `ArchiveKeeping`): one at a time.
    package let archiveWork = NIOLock()

    /// Starts the writer thread on an open, locked log. `journal` is what recovery read from it.
    package init(
        file: AuditFile,
        options: Options,
        journal: AuditLogIndex = AuditLogIndex(),
        observer: (any AuditWriteObserver)? = nil,
        settle: Settlement? = nil,
        logger: Logger = Logger(label: "hookline.audit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(FileError) {
        self.options = options
        self.observer = observer
        self.settle = settle
        self.logger = logger
        self.file = NIOLockedValueBox(FileState(file: file, size: try file.size(), journal: journal))
        // Made once nothing can throw any more: a start that fails leaves no thread behind.
        self.thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // A task, not a task group's child: the writer outlives the call that makes it (a
        // store's opening) and is awaited by `close`, which every owner calls.
        let task = Task(executorPreference: LoopExecutor(thread.next())) { [self] in await self.run() }
        running.withLockedValue { $0 = task }
    }

    /// The last write error, or nil while the log is writable (`/readyz`).
    package var lastError: JournalFailure? { health.withLockedValue { $0 } }

    /// Reads the journal as of the last completed write, under its lock (without copying it).
    package func withJournal<Result>(_ body: (AuditLogIndex) throws -> Result) rethrows -> Result {
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

    /// Writes what was submitted before it, then rotates the log now (`hookline erase` moves the
    /// live file's lines into an archive, which it can rewrite): nil once rotated, else why not.
    package func rotateNow() async -> JournalFailure? {
        await withCheckedContinuation { continuation in
            let submitted = commits.submit(Submission(entry: nil, durable: true, waiter: nil, rotated: { continuation.resume(returning: $0) }))
            if !submitted { continuation.resume(returning: JournalFailure(FileError(path: path, operation: "rotate", reason: "the audit log is closed"))) }
        }
    }

    /// Writes what is pending, syncs, closes the file and stops the thread. What is submitted
    /// after it is not written (a waiter is told so).
    package func close() async {
        guard let task = running.withLockedValue({ running -> Task<Void, Never>? in
            defer { running = nil }
            return running
        }) else { return }
        if !commits.submit(Submission(entry: nil, durable: true, waiter: nil, closes: true)) { task.cancel() }
        await task.value
        do {
            try await thread.shutdownGracefully()
        } catch {
            logger.debug("the audit writer's thread was already stopped", metadata: ["error": "\(error)"])
        }
    }

    private func submit(_ entry: Entry?, durable: Bool, waiter: Waiter?) {
        guard !commits.submit(Submission(entry: entry, durable: durable, waiter: waiter)) else { return }
        if let waiter { refuse(waiter) }
    }

    /// A waiter whose record no commit will write: the log is closed.
    private func refuse(_ waiter: Waiter) {
        let failure = JournalFailure(FileError(path: path, operation: "write", reason: "the audit log is closed"))
        settle?(false, waiter.claim.map { [$0] } ?? [], waiter.jobs)
        waiter.completion(failure)
    }

    /// Commits batches, in submission order, until the closing submission.
    private func run() async {
        var buffer: [UInt8] = []
        var summaries: [(AuditLineSummary, Int64)] = []
        var waiters: [Waiter] = []
        var claims: [MessageKey] = []
        var settledJobs: [Job] = []
        var batch: [Submission] = []
        var rotations: [@Sendable (JournalFailure?) -> Void] = []
        while await commits.take(into: &batch) {
            let (file, start) = self.file.withLockedValue { ($0.file, $0.size) }
            buffer.removeAll(keepingCapacity: true)
            summaries.removeAll(keepingCapacity: true)
            waiters.removeAll(keepingCapacity: true)
            var needsSync = false
            var closing: Int?
            for (index, submission) in batch.enumerated() {
                if submission.closes {
                    closing = index
                    needsSync = needsSync || options.fsync == .batch
                    break
                }
                switch submission.entry {
                case .record(let record):
                    if options.keepsJournal { summaries.append((AuditLineSummary(record), start + Int64(buffer.count))) }
                    record.appendJSONLine(to: &buffer)
                case .line(let line):
                    buffer.append(contentsOf: line)
                case nil:
                    break
                }
                if submission.durable && options.fsync == .batch { needsSync = true }
                if let waiter = submission.waiter { waiters.append(waiter) }
                if let rotated = submission.rotated { rotations.append(rotated) }
            }
            let error = write(buffer, summaries: summaries, to: file, sync: needsSync)
            report(error)
            complete(waiters, error: error, claims: &claims, jobs: &settledJobs)

            if let closing {
                // Not rotated first: the last lines (the pending notes) stay in the current file.
                for submission in batch[(closing + 1)...] + commits.close() {
                    if let waiter = submission.waiter { refuse(waiter) }
                    submission.rotated?(JournalFailure(FileError(path: path, operation: "rotate", reason: "the audit log is closed")))
                }
                for rotated in rotations { rotated(JournalFailure(FileError(path: path, operation: "rotate", reason: "the audit log is closed"))) }
                do {
                    try self.file.withLockedValue { try $0.file.close() }
                } catch {
                    logger.error("the audit log did not close cleanly; its last writes may be lost", metadata: ["error": "\(error)"])
                }
                return
            }
            if !rotations.isEmpty {
                let failure = error ?? rotate()
                for rotated in rotations { rotated(failure) }
                rotations.removeAll()
                continue
            }
            let grown = self.file.withLockedValue { $0.size - $0.baseSize }
            if error == nil, options.rotateBytes > 0, grown >= Int64(options.rotateBytes) {
                rotate()
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
                if state.journal.seenMessages.count > max(options.dedupMaxEntries, 1024) + ChunkedList<AuditLogIndex.SeenMessage>.chunkSize {
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
