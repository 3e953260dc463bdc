import Foundation
import HooklineCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Appends audit records to the JSONL log from one dedicated thread, and keeps the log's
/// journal (what is still owed, where it is in the file) current as it writes.
///
/// Records submitted while a write is in progress are batched: each batch of whole lines goes
/// out in one `write` and, when a caller asked for durability under `fsync: batch`, one
/// `fdatasync` shared by every request in the batch (group commit). Submission order is file
/// order. Past `rotateBytes` the log rotates: the file is archived under a timestamped name and
/// a new one starts with what is still owed carried forward, so recovery never needs an old file.
public final class AuditLogWriter: Sendable {
    /// Called once a batch containing the caller's record is written (and synced if asked):
    /// nil on success, else why it failed.
    public typealias Completion = @Sendable (FileError?) -> Void

    /// How the log is kept.
    public struct Options: Sendable {
        public var fsync: FsyncPolicy
        /// Rotate past this size; 0 never rotates.
        public var rotateBytes: Int
        /// The dedup window's bounds: message ids older or beyond are not carried forward.
        public var dedupMaxAge: Duration
        public var dedupMaxEntries: Int

        public init(fsync: FsyncPolicy = .batch, rotateBytes: Int = 0, dedupMaxAge: Duration = .seconds(86_400), dedupMaxEntries: Int = 100_000) {
            self.fsync = fsync
            self.rotateBytes = rotateBytes
            self.dedupMaxAge = dedupMaxAge
            self.dedupMaxEntries = dedupMaxEntries
        }
    }

    /// A completion and the event loop it wants to run on (nil: the writer thread).
    private struct Waiter: Sendable {
        var loop: (any EventLoop)?
        var completion: Completion
    }

    private struct Pending: Sendable {
        var records: [AuditRecord] = []
        var completions: [Waiter] = []
        var needsSync = false
        var closed = false
    }

    /// The open file and its journal; changed only by the writer thread.
    private struct FileState: Sendable {
        var descriptor: Int32
        var size: Int64
        /// The size right after the last rotation (what was carried forward): the file rotates
        /// again once it has grown `rotateBytes` past it, so a large carry-forward cannot cause
        /// a rotation on every write.
        var baseSize: Int64 = 0
        var journal: AuditJournal
        var rotations = 0
    }

    public let path: String
    public let options: Options
    private let observer: (any AuditWriteObserver)?
    private let logger: Logger
    private let pending = ConditionLock(value: false)
    private let queue = NIOLockedValueBox(Pending())
    private let file: NIOLockedValueBox<FileState>
    private let health = NIOLockedValueBox<FileError?>(nil)
    private let finished = ConditionLock(value: false)

    /// Opens (creating if needed) the log at `path` for appending, takes its lock, and starts
    /// the writer thread. `journal` is what recovery read from the file.
    public init(
        path: String,
        options: Options,
        journal: AuditJournal = AuditJournal(),
        observer: (any AuditWriteObserver)? = nil,
        logger: Logger = Logger(label: "hookline.audit", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(FileError) {
        let descriptor = try Self.openLocked(path, truncate: false)
        var status = stat()
        fstat(descriptor, &status)
        self.path = path
        self.options = options
        self.observer = observer
        self.logger = logger
        self.file = NIOLockedValueBox(FileState(descriptor: descriptor, size: Int64(status.st_size), journal: journal))
        let thread = Thread { [self] in self.run() }
        thread.name = "hookline-audit"
        thread.start()
    }

    /// Opens a log file for appending and takes its exclusive lock.
    private static func openLocked(_ path: String, truncate: Bool) throws(FileError) -> Int32 {
        let flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        let descriptor = open(path, flags, 0o640)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "open the audit log", errno: errno) }
        // One writer per log: a second Hookline on the same file would recover the first one's
        // unfinished events and apply them twice.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            if code == EWOULDBLOCK {
                throw FileError(
                    path: path, operation: "open the audit log",
                    reason: "another hookline process is using it (send to that one with replay --to, or use another audit.path)")
            }
            throw FileError(path: path, operation: "lock the audit log", errno: code)
        }
        return descriptor
    }

    /// The last write error, or nil while the log is writable (`/readyz`).
    public var lastError: FileError? { health.withLockedValue { $0 } }

    /// The journal as of the last completed write: what the log says is still owed.
    public var journal: AuditJournal { file.withLockedValue { $0.journal } }

    /// The journaled line that opened an owed event (its `received` or `redriven` line), read
    /// from the current file — under the lock, so a rotation cannot move it mid-read.
    public func openingLine(of eventID: String) -> [UInt8]? {
        file.withLockedValue { state in
            guard let offset = state.journal.pendingEvent(eventID)?.offset else { return nil }
            return AuditLogReader.line(at: offset, in: state.descriptor)
        }
    }

    /// How many times the log has rotated since start.
    public var rotations: Int { file.withLockedValue { $0.rotations } }

    /// Appends a record; returns at once.
    public func append(_ record: AuditRecord) {
        submit(record, durable: false, completion: nil)
    }

    /// Appends a record and calls `completion` once it is written — and, under `fsync: batch`,
    /// on disk. The caller answers its sender only then.
    public func appendDurably(_ record: AuditRecord, completion: @escaping Completion) {
        submit(record, durable: true, completion: completion)
    }

    /// Like `appendDurably(_:completion:)`, running `completion` on `loop`: a batch's completions
    /// for one loop run in a single hop rather than one wake-up each.
    public func appendDurably(_ record: AuditRecord, on loop: any EventLoop, completion: @escaping Completion) {
        submit(record, durable: true, completion: completion, loop: loop)
    }

    /// Waits until everything submitted so far is written (and synced under `fsync: batch`).
    public func flush() async -> FileError? {
        await withCheckedContinuation { continuation in
            submit(nil, durable: true) { continuation.resume(returning: $0) }
        }
    }

    /// Writes what is pending, syncs, stops the thread and closes the file.
    public func close() {
        var alreadyClosed = false
        queue.withLockedValue { pending in
            alreadyClosed = pending.closed
            pending.closed = true
            pending.needsSync = pending.needsSync || options.fsync == .batch
        }
        guard !alreadyClosed else { return }
        signal()
        finished.lock(whenValue: true)
        finished.unlock()
    }

    private func submit(_ record: AuditRecord?, durable: Bool, completion: Completion?, loop: (any EventLoop)? = nil) {
        let accepted = queue.withLockedValue { pending -> Bool in
            guard !pending.closed else { return false }
            if let record { pending.records.append(record) }
            if let completion { pending.completions.append(Waiter(loop: loop, completion: completion)) }
            if durable && options.fsync == .batch { pending.needsSync = true }
            return true
        }
        guard accepted else {
            completion?(FileError(path: path, operation: "write", reason: "the audit log is closed"))
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
        while true {
            pending.lock(whenValue: true)
            pending.unlock(withValue: false)
            let batch = queue.withLockedValue { pending -> Pending in
                let batch = pending
                pending.records = []
                pending.completions = []
                pending.needsSync = false
                return batch
            }
            let (descriptor, start) = file.withLockedValue { ($0.descriptor, $0.size) }
            buffer.removeAll(keepingCapacity: true)
            summaries.removeAll(keepingCapacity: true)
            for record in batch.records {
                summaries.append((AuditLineSummary(record), start + Int64(buffer.count)))
                record.appendJSONLine(to: &buffer)
            }
            let writeStarted = ContinuousClock.now
            var error = Self.write(buffer, to: descriptor, path: path)
            if !buffer.isEmpty { observer?.wrote(bytes: buffer.count, duration: .now - writeStarted) }
            if error == nil {
                let written = Int64(buffer.count)
                file.withLockedValue { state in
                    state.size += written
                    for (summary, offset) in summaries { state.journal.apply(summary, offset: offset) }
                    // Message ids past the dedup window's bounds are never carried forward: forget
                    // them in bulk so the journal's memory stays bounded without rotation too.
                    if state.journal.seenMessages.count > 2 * max(options.dedupMaxEntries, 1024) {
                        state.journal.trimSeen(olderThan: UnixTime.now() - options.dedupMaxAge, keeping: options.dedupMaxEntries)
                    }
                }
                if batch.needsSync {
                    let syncStarted = ContinuousClock.now
                    error = Self.sync(descriptor, path: path)
                    observer?.synced(duration: .now - syncStarted)
                }
            }
            let previous = health.withLockedValue { health in
                defer { health = error }
                return health
            }
            if let error, previous == nil {
                logger.error("the audit log cannot be written; deliveries are answered 503", metadata: ["error": "\(error)"])
            } else if error == nil, let previous {
                logger.notice("the audit log is writable again", metadata: ["was": "\(previous)"])
            }
            Self.complete(batch.completions, error: error)

            // Not while closing: the last lines (the pending notes) stay in the current file.
            let grown = file.withLockedValue { $0.size - $0.baseSize }
            if error == nil, !batch.closed, options.rotateBytes > 0, grown >= Int64(options.rotateBytes) {
                if let failure = rotate() {
                    health.withLockedValue { $0 = failure }
                    logger.error("could not rotate the audit log; still writing to it", metadata: ["error": "\(failure)"])
                }
            }
            if batch.closed {
                Glibc.close(file.withLockedValue { $0.descriptor })
                finished.lock()
                finished.unlock(withValue: true)
                return
            }
        }
    }

    /// Runs completions: those bound to an event loop in one hop per loop, the rest here.
    private static func complete(_ waiters: [Waiter], error: FileError?) {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, completions: [Completion])] = [:]
        for waiter in waiters {
            guard let loop = waiter.loop else {
                waiter.completion(error)
                continue
            }
            byLoop[ObjectIdentifier(loop), default: (loop, [])].completions.append(waiter.completion)
        }
        for (_, group) in byLoop {
            let completions = group.completions
            group.loop.execute { for completion in completions { completion(error) } }
        }
    }

    // MARK: - Rotation

    /// Archives the current file and starts a new one holding what is still owed: the message
    /// ids inside the dedup window (`seen`), the learned ids (`created`), and each unfinished
    /// event's opening line with only its outstanding targets. Crash-safe: the new file is
    /// written and synced under `.next`, the old one hard-linked to its archive name, then the
    /// new one renamed over the path — at every moment the path holds a complete log.
    private func rotate() -> FileError? {
        var state = file.withLockedValue { $0 }
        let now = UnixTime.now()
        state.journal.trimSeen(olderThan: now - options.dedupMaxAge, keeping: options.dedupMaxEntries)

        var lines: [UInt8] = []
        var carried = AuditJournal()
        func add(_ record: AuditRecord) {
            carried.apply(AuditLineSummary(record), offset: Int64(lines.count))
            record.appendJSONLine(to: &lines)
        }
        let pendingIDs = Set(state.journal.pending.map(\.event))
        for seen in state.journal.seenMessages where !pendingIDs.contains(seen.eventID) {
            add(AuditRecord(ts: seen.seenAt, outcome: .seen, event: seen.eventID, message: seen.message, source: seen.source, reason: "carried_forward"))
        }
        for reference in state.journal.references {
            add(AuditRecord(ts: now, outcome: .created, target: reference.target, ref: reference.id, refKey: reference.key, reason: "carried_forward"))
        }
        for event in state.journal.pending {
            guard let bytes = AuditLogReader.line(at: event.offset, in: state.descriptor), var record = try? AuditRecord(jsonLine: bytes) else {
                continue
            }
            record.targets = event.remainingTargets
            record.attempt = event.attempts.values.max() ?? record.attempt
            record.reason = "carried_forward"
            add(record)
        }

        let nextPath = path + ".next"
        let next: Int32
        do {
            next = try Self.openLocked(nextPath, truncate: true)
        } catch {
            return error
        }
        if let error = Self.write(lines, to: next, path: nextPath) ?? Self.sync(next, path: nextPath) {
            Glibc.close(next)
            unlink(nextPath)
            return error
        }
        var archive = "\(path).\(Self.archiveSuffix(now))"
        var attempt = 1
        while link(path, archive) != 0 {
            guard errno == EEXIST, attempt < 100 else {
                let failure = FileError(path: archive, operation: "archive the audit log", errno: errno)
                Glibc.close(next)
                unlink(nextPath)
                return failure
            }
            attempt += 1
            archive = "\(path).\(Self.archiveSuffix(now))-\(attempt)"
        }
        guard rename(nextPath, path) == 0 else {
            let failure = FileError(path: path, operation: "rotate the audit log", errno: errno)
            unlink(archive)
            Glibc.close(next)
            unlink(nextPath)
            return failure
        }
        Self.syncDirectory(of: path)
        Glibc.close(state.descriptor)
        let size = Int64(lines.count)
        file.withLockedValue { current in
            current.descriptor = next
            current.size = size
            current.baseSize = size
            current.journal = carried
            current.rotations += 1
        }
        observer?.rotated()
        logger.info(
            "rotated the audit log",
            metadata: ["archive": .string(archive), "carried_events": "\(carried.pendingCount)", "carried_bytes": "\(size)"])
        return nil
    }

    /// `20261122T081910123Z`: sortable, no characters a shell or a filesystem dislikes.
    static func archiveSuffix(_ time: UnixTime) -> String {
        time.rfc3339.filter { $0 != "-" && $0 != ":" && $0 != "." }
    }

    // MARK: - I/O

    private static func write(_ bytes: [UInt8], to descriptor: Int32, path: String) -> FileError? {
        guard !bytes.isEmpty else { return nil }
        return bytes.withUnsafeBytes { buffer -> FileError? in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return FileError(path: path, operation: "write the audit log", errno: errno)
                }
                offset += written
            }
            return nil
        }
    }

    private static func sync(_ descriptor: Int32, path: String) -> FileError? {
        while fdatasync(descriptor) != 0 {
            if errno == EINTR { continue }
            return FileError(path: path, operation: "fdatasync the audit log", errno: errno)
        }
        return nil
    }

    /// Makes a rename durable.
    private static func syncDirectory(of path: String) {
        let directory = path.contains("/") ? String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) : "."
        let descriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        Glibc.close(descriptor)
    }
}
