import Foundation
import HooklineCore
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Appends audit lines to the JSONL log from one dedicated thread.
///
/// Lines submitted while a write is in progress are batched: each batch of whole lines goes
/// out in one `write` and, when a caller asked for durability under `fsync: batch`, one
/// `fdatasync` shared by every request in the batch (group commit). Order of submission is
/// order in the file.
public final class AuditLogWriter: Sendable {
    /// Called once a batch containing the caller's lines is written (and synced if asked):
    /// nil on success, else why it failed.
    public typealias Completion = @Sendable (FileError?) -> Void

    private struct Pending: Sendable {
        var bytes: [UInt8] = []
        var completions: [Completion] = []
        var needsSync = false
        var closed = false
    }

    public let path: String
    public let fsync: FsyncPolicy
    private let descriptor: Int32
    private let pending = ConditionLock(value: false)
    private let state = NIOLockedValueBox(Pending())
    private let health = NIOLockedValueBox<FileError?>(nil)
    private let finished = ConditionLock(value: false)

    /// Opens (creating if needed) the log at `path` for appending and starts the writer thread.
    public init(path: String, fsync: FsyncPolicy) throws(FileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw FileError(path: path, operation: "open the audit log", errno: errno) }
        // One writer per log: a second Hookline on the same file would recover the first one's
        // unfinished events and apply them twice.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            if code == EWOULDBLOCK {
                throw FileError(path: path, operation: "open the audit log", reason: "another hookline process is using it (send to that one with replay --to, or use another audit.path)")
            }
            throw FileError(path: path, operation: "lock the audit log", errno: code)
        }
        self.path = path
        self.fsync = fsync
        self.descriptor = descriptor
        let thread = Thread { [self] in self.run() }
        thread.name = "hookline-audit"
        thread.start()
    }

    /// The last write error, or nil while the log is writable (`/readyz`).
    public var lastError: FileError? { health.withLockedValue { $0 } }

    /// Appends a record; returns at once.
    public func append(_ record: AuditRecord) {
        submit(record.jsonLine, durable: false, completion: nil)
    }

    /// Appends whole lines; returns at once.
    public func append(lines: [UInt8]) {
        submit(lines, durable: false, completion: nil)
    }

    /// Appends whole lines and calls `completion` once they are written — and, under
    /// `fsync: batch`, on disk. The caller answers its sender only then.
    public func appendDurably(lines: [UInt8], completion: @escaping Completion) {
        submit(lines, durable: true, completion: completion)
    }

    /// Waits until everything submitted so far is written (and synced under `fsync: batch`).
    public func flush() async -> FileError? {
        await withCheckedContinuation { continuation in
            submit([], durable: true) { continuation.resume(returning: $0) }
        }
    }

    /// Writes what is pending, syncs, stops the thread and closes the file.
    public func close() {
        var alreadyClosed = false
        state.withLockedValue { pending in
            alreadyClosed = pending.closed
            pending.closed = true
            pending.needsSync = pending.needsSync || fsync == .batch
        }
        guard !alreadyClosed else { return }
        signal()
        finished.lock(whenValue: true)
        finished.unlock()
    }

    private func submit(_ bytes: [UInt8], durable: Bool, completion: Completion?) {
        let accepted = state.withLockedValue { pending -> Bool in
            guard !pending.closed else { return false }
            pending.bytes.append(contentsOf: bytes)
            if let completion { pending.completions.append(completion) }
            if durable && fsync == .batch { pending.needsSync = true }
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
        while true {
            pending.lock(whenValue: true)
            pending.unlock(withValue: false)
            let batch = state.withLockedValue { pending -> Pending in
                let batch = pending
                pending.bytes = []
                pending.completions = []
                pending.needsSync = false
                return batch
            }
            let error = write(batch.bytes) ?? (batch.needsSync ? sync() : nil)
            health.withLockedValue { $0 = error }
            for completion in batch.completions { completion(error) }
            if batch.closed {
                Glibc.close(descriptor)
                finished.lock()
                finished.unlock(withValue: true)
                return
            }
        }
    }

    private func write(_ bytes: [UInt8]) -> FileError? {
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

    private func sync() -> FileError? {
        while fdatasync(descriptor) != 0 {
            if errno == EINTR { continue }
            return FileError(path: path, operation: "fdatasync the audit log", errno: errno)
        }
        return nil
    }
}
