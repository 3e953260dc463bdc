import HooklineCore
import Logging
import Synchronization
import NIOConcurrencyHelpers
import NIOPosix
import ServiceLifecycle
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Keeps the line indexes of a file store's audit log (`AuditIndexFile`): the live file's, which
/// follows the log a few megabytes behind, and each archive's, finished once. It reads the log
/// as it is written — the hot path never waits for it — and a reader scans whatever the index
/// does not cover yet, so a lookup is always complete.
///
/// Why this index: it costs the writer nothing, its memory is bounded (a block under
/// construction; readers hold only block lists), it survives restarts (it is rebuilt from the
/// log where it is missing or damaged), and a rotation starts a new one — lookups on a
/// million-line log are a few dozen binary searches by `pread` instead of reading half a gigabyte.
package final class AuditIndexer: Sendable {
    let logPath: String
    /// A block is written once this much of the log is unindexed.
    let blockBytes: Int64
    /// Past this many blocks, the live index is merged into one.
    let mergeAbove: Int
    private let logger: Logger
    /// The indexes readers may use, by log file path.
    private let published = Mutex<[String: AuditIndexFile]>([:])
    /// The indexer's own progress: one pass at a time.
    private let progress = Mutex<Progress>(Progress())

    private struct Progress: Sendable {
        /// The live index's inode and how many of its bytes are valid.
        var liveInode: UInt64?
        var validBytes: Int64 = 0
    }

    package init(logPath: String, blockBytes: Int64 = 4 << 20, mergeAbove: Int = 16, logger: Logger) {
        self.logPath = logPath
        self.blockBytes = blockBytes
        self.mergeAbove = mergeAbove
        self.logger = logger
    }

    /// `<dir>/.<name>.idx`: hidden, so a glob of the log's archives (`audit.jsonl.*`) never
    /// takes an index for one.
    package static func indexPath(of log: String) -> String { FileParts.hidden(beside: log, suffix: ".idx") }

    /// The index of `segment` (a log file's path) as far as it is written, if any.
    package func index(of segment: String) -> AuditIndexFile? { published.withLock { $0[segment] } }

    /// One pass: follows a rotation, indexes what the live file gained (once a block's worth is
    /// unindexed, or everything when `all`), merges, and indexes archives that have none.
    package func pass(all: Bool = false) {
        progress.withLock { progress in
            do {
                try follow(&progress, all: all)
            } catch {
                logger.warning("the audit log's index could not be kept; the console reads the log instead", metadata: ["error": "\(error)"])
                progress.liveInode = nil
            }
        }
    }

    private func follow(_ progress: inout Progress, all: Bool) throws {
        guard let inode = SystemCalls.inode(at: logPath) else { return }
        let indexPath = Self.indexPath(of: logPath)
        if progress.liveInode == nil {
            // First pass: take what a previous run left, checked, or start anew.
            if let (file, valid) = AuditIndexFile.open(indexPath, inode: inode, verify: true), !file.finished {
                progress.liveInode = inode
                progress.validBytes = valid
                publish(logPath, file)
            } else {
                try retire(indexPath)
                try AuditIndexFile.create(indexPath, inode: inode)
                progress.liveInode = inode
                progress.validBytes = Int64(AuditIndexFile.headerSize)
            }
            indexArchives()
        }
        if progress.liveInode != inode {
            // The log rotated: the index belongs to an archive now.
            try retire(indexPath)
            try AuditIndexFile.create(indexPath, inode: inode)
            progress.liveInode = inode
            progress.validBytes = Int64(AuditIndexFile.headerSize)
            published.withLock { $0[logPath] = nil }
        }
        try extend(logPath, indexPath: indexPath, inode: inode, valid: &progress.validBytes, all: all)
        if let blocks = index(of: logPath)?.blocks, blocks.count > mergeAbove {
            try merge(indexPath, inode: inode, valid: &progress.validBytes)
        }
    }

    /// Indexes `log` from where its index ends (`from`, else its published index's end), when
    /// enough is unindexed (or `all`), and publishes the index.
    private func extend(_ log: String, indexPath: String, inode: UInt64, valid: inout Int64, all: Bool, from start: Int64? = nil) throws {
        let covered = start ?? index(of: log)?.coveredEnd ?? 0
        let size = try FileSize.of(log)
        guard size > covered, all || size - covered >= blockBytes else { return }
        // A long unindexed stretch (a first start on a big log) goes in blocks of at most
        // `blockBytes * 16` of log, so building one holds a bounded number of entries.
        var from = covered
        while from < size {
            var entries: [(UInt64, Int64)] = []
            var keys: [UInt64] = []
            let end = try Self.forEachLine(in: log, from: from, limit: blockBytes * 16) { line, offset in
                keys.removeAll(keepingCapacity: true)
                guard AuditLineScanner.indexKeys(line, into: &keys) else { return }
                for key in keys { entries.append((key, offset)) }
            }
            guard end > from else { break }
            valid = try AuditIndexFile.appendBlock(indexPath, at: valid, entries: entries, from: from, to: end)
            from = end
        }
        try reopen(log, indexPath: indexPath, inode: inode)
    }

    /// The index at `indexPath` (the live one, before a new one is made) goes with the archive
    /// whose inode it names, finished; an index of no archive is dropped.
    private func retire(_ indexPath: String) throws {
        guard SystemCalls.exists(indexPath) else { return }
        for archive in archives() {
            guard let inode = SystemCalls.inode(at: archive), let (file, valid) = AuditIndexFile.open(indexPath, inode: inode, verify: true) else {
                continue
            }
            var bytes = valid
            if !file.finished {
                try extend(archive, indexPath: indexPath, inode: inode, valid: &bytes, all: true, from: file.coveredEnd)
                _ = try AuditIndexFile.finish(indexPath, at: bytes, coveredEnd: index(of: archive)?.coveredEnd ?? file.coveredEnd)
            }
            try SystemCalls.rename(indexPath, to: Self.indexPath(of: archive))
            if let (finished, _) = AuditIndexFile.open(Self.indexPath(of: archive), inode: inode, verify: false) { publish(archive, finished) }
            return
        }
        try SystemCalls.unlink(indexPath)
    }

    /// Builds the index of every archive that has no finished one.
    private func indexArchives() {
        for archive in archives() { indexArchive(archive) }
    }

    /// Builds the index of an archive that was rewritten in place (`hookline erase`): the one it
    /// had names the file it replaced.
    package func refresh(archive: String) {
        progress.withLock { _ in
            published.withLock { $0[archive] = nil }
            indexArchive(archive)
        }
    }

    /// Publishes the archive's finished index, building it first when it has none.
    private func indexArchive(_ archive: String) {
        guard let inode = SystemCalls.inode(at: archive) else { return }
        let indexPath = Self.indexPath(of: archive)
        if let (file, _) = AuditIndexFile.open(indexPath, inode: inode, verify: false), file.finished {
            publish(archive, file)
            return
        }
        do {
            try AuditIndexFile.create(indexPath, inode: inode)
            published.withLock { $0[archive] = nil }
            var valid = Int64(AuditIndexFile.headerSize)
            try extend(archive, indexPath: indexPath, inode: inode, valid: &valid, all: true)
            valid = try AuditIndexFile.finish(indexPath, at: valid, coveredEnd: index(of: archive)?.coveredEnd ?? 0)
            if let (file, _) = AuditIndexFile.open(indexPath, inode: inode, verify: false) { publish(archive, file) }
        } catch {
            logger.warning("an archive of the audit log could not be indexed", metadata: ["archive": .string(archive), "error": "\(error)"])
        }
    }

    /// Merges the live index's blocks into one (a k-way merge of sorted blocks, read a little at
    /// a time), written beside it and renamed over it.
    private func merge(_ indexPath: String, inode: UInt64, valid: inout Int64) throws {
        guard let file = index(of: logPath), let last = file.blocks.last else { return }
        var readers = file.blocks.map { BlockReader(descriptor: file.descriptor, block: $0) }
        let total = file.blocks.reduce(0) { $0 + $1.count }
        let temporary = indexPath + ".merge"
        try AuditIndexFile.create(temporary, inode: inode)
        let written = try AuditIndexFile.appendBlock(temporary, at: Int64(AuditIndexFile.headerSize), count: total, from: 0, to: last.to) {
            var best: Int?
            for index in readers.indices {
                guard let head = readers[index].peek() else { continue }
                if let current = best, let other = readers[current].peek(), other <= head { continue }
                best = index
            }
            guard let best else { return nil }
            return readers[best].next()
        }
        try SystemCalls.rename(temporary, to: indexPath)
        valid = written
        try reopen(logPath, indexPath: indexPath, inode: inode)
    }

    private func reopen(_ log: String, indexPath: String, inode: UInt64) throws {
        guard let (file, _) = AuditIndexFile.open(indexPath, inode: inode, verify: false) else {
            throw FileError(path: indexPath, operation: "read the index", reason: "it was just written and cannot be read")
        }
        publish(log, file)
    }

    private func publish(_ log: String, _ file: AuditIndexFile) {
        published.withLock { $0[log] = file }
    }

    /// The log's archives, by path.
    private func archives() -> [String] {
        AuditLogHistory(path: logPath).segments().dropFirst().map(\.path)
    }

    /// Calls `body` with every complete line from `from` on (until `limit` bytes are passed),
    /// and returns where the last one ends. Lines are handed over in place, in one buffer that
    /// keeps a line cut by a read at its start for the next.
    static func forEachLine(
        in path: String, from: Int64, limit: Int64 = .max, _ body: (UnsafeRawBufferPointer, Int64) throws -> Void
    ) throws -> Int64 {
        let descriptor = try SystemCalls.open(path, .readOnly, operation: "read the audit log")
        defer { SystemCalls.closeAfterReading(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        // buffer[0..<filled] holds the file from `bufferStart` on.
        var filled = 0
        var bufferStart = from
        var end = from
        while end - from < limit {
            if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let count: Int
            do {
                count = try buffer.withUnsafeMutableBytes { bytes in
                    try descriptor.read(fromAbsoluteOffset: bufferStart + Int64(filled), into: UnsafeMutableRawBufferPointer(rebasing: bytes[filled...]))
                }
            } catch {
                throw FileError(path: path, operation: "read the audit log", error)
            }
            if count == 0 { break }
            filled += count
            var start = 0
            try buffer.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                while start < filled, let newline = memchr(base + start, 0x0A, filled - start) {
                    let index = base.distance(to: UnsafeRawPointer(newline))
                    if index > start { try body(UnsafeRawBufferPointer(rebasing: bytes[start..<index]), bufferStart + Int64(start)) }
                    start = index + 1
                    end = bufferStart + Int64(start)
                    if end - from >= limit { break }
                }
            }
            // What is left (a line still coming) moves to the front.
            let left = filled - start
            if left > 0, start > 0 {
                buffer.withUnsafeMutableBytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    memmove(base, base + start, left)
                }
            }
            bufferStart += Int64(start)
            filled = left
        }
        return end
    }
}

/// Reads one block's entries in order, 4,096 at a time.
private struct BlockReader {
    let descriptor: FileDescriptor
    let block: AuditIndexFile.Block
    var index = 0
    var buffer: [UInt8] = []
    var bufferStart = 0

    init(descriptor: FileDescriptor, block: AuditIndexFile.Block) {
        self.descriptor = descriptor
        self.block = block
    }

    mutating func peek() -> (UInt64, Int64)? {
        guard index < block.count else { return nil }
        let local = index - bufferStart
        if buffer.isEmpty || local < 0 || local * AuditIndexFile.entrySize >= buffer.count {
            let count = min(4096, block.count - index)
            guard let bytes = try? AuditIndexFile.read(descriptor, at: block.entriesAt + Int64(index * AuditIndexFile.entrySize), count: count * AuditIndexFile.entrySize) else {
                return nil
            }
            buffer = bytes
            bufferStart = index
        }
        let at = (index - bufferStart) * AuditIndexFile.entrySize
        var key: UInt64 = 0
        var offset: UInt64 = 0
        for shift in 0..<8 {
            key |= UInt64(buffer[at + shift]) << (8 * shift)
            offset |= UInt64(buffer[at + 8 + shift]) << (8 * shift)
        }
        return (key, Int64(truncatingIfNeeded: offset))
    }

    mutating func next() -> (UInt64, Int64)? {
        guard let entry = peek() else { return nil }
        index += 1
        return entry
    }
}

/// A file's size by path.
enum FileSize {
    static func of(_ path: String) throws -> Int64 {
        let descriptor = try SystemCalls.open(path, .readOnly, operation: "read the audit log")
        defer { SystemCalls.closeAfterReading(descriptor) }
        return try SystemCalls.status(descriptor, path: path).size
    }
}

/// Runs the indexer while the store runs: a pass a second, on a thread of its own (it reads
/// files), and a last one at shutdown so a restart finds the index current.
struct AuditIndexService: Service {
    let indexer: AuditIndexer
    /// What archives keep of payloads (`ArchiveKeeping`), done on the same pass.
    var keeping: PayloadKeeping = .full
    /// Held while archives are rewritten (`AuditLogWriter.archiveWork`).
    var archiveWork = NIOLock()
    var logger: Logger?
    var every: Duration = .seconds(1)

    func run() async {
        while !Task.isShuttingDownGracefully {
            _ = try? await NIOThreadPool.singleton.runIfActive { [self] in
                indexer.pass()
                guard keeping != .full else { return }
                do {
                    _ = try archiveWork.withLock { try ArchiveKeeping.pass(indexer.logPath, keeping: keeping, indexer: indexer) }
                } catch {
                    logger?.error("could not keep less of an archived audit log's payloads; trying again", metadata: ["error": "\(error)"])
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: every) }
            } catch {
                break
            }
        }
    }
}

