import HooklineCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// Erases a contact's personal data from the files of an audit log (`ContactErasure`), the way a
/// careful tool rewrites a file: the new content goes to a hidden file beside it
/// (`.<name>.erasing`), is synced, renamed over the file, and the directory synced. At every
/// moment the file's path holds a whole log — the old one or the new one — and a run cut short
/// leaves only a hidden leftover, which the next run removes before it finishes the work.
///
/// Only files nothing appends to are rewritten: archives, or a live file whose lines were first
/// moved into an archive by a rotation (`FileStore.erase`). Lines that are not the contact's are
/// copied byte for byte, empty and unfinished ones included.
package enum AuditLogEraser {
    /// What one file holds of the contact, or held before it was rewritten.
    package struct FileScan: Sendable, Hashable {
        package var path: String
        /// The contact's lines erased by this run (or, in a dry run, that would be).
        package var erasedLines = 0
        /// The contact's lines an earlier run erased.
        package var alreadyErasedLines = 0
        /// The contact's events with a line here.
        package var events: Set<String> = []

        package var changes: Bool { erasedLines > 0 }
    }

    /// The live file and its archives, newest first: every file that holds the log's lines, a
    /// whole archive whose kept copy is already in place included (an erase reaches it too).
    package static func segments(of path: String) -> [String] {
        AuditLogHistory(path: path).segments(superseded: true).map(\.path)
    }

    /// What `file` holds of the contact, read without changing it.
    package static func scan(_ file: String, _ erasure: ContactErasure) throws(FileError) -> FileScan {
        var scan = FileScan(path: file)
        try forEachLine(in: file) { line, _ in
            record(erasure.change(line), in: &scan)
        }
        return scan
    }

    /// Rewrites `file` with the contact's lines erased, when it has any not yet erased.
    package static func rewrite(_ file: String, _ erasure: ContactErasure) throws(FileError) -> FileScan {
        let before = try scan(file, erasure)
        guard before.changes else { return before }
        var scan = FileScan(path: file)
        try rewrite(file, into: file) { line in
            let change = erasure.change(line)
            record(change, in: &scan)
            if case .erased(_, let erased) = change { return erased }
            return nil
        }
        return scan
    }

    /// Writes `source` as `destination` with each line `transform` returns a replacement for
    /// (newline included) replaced, every other byte copied: through a hidden copy beside
    /// `destination`, synced, renamed over it, the directory synced. `destination`'s line index
    /// is removed (the indexer rebuilds it).
    package static func rewrite(_ source: String, into destination: String, _ transform: ([UInt8]) -> [UInt8]?) throws(FileError) {
        let temporary = leftoverPath(of: destination)
        let descriptor = try SystemCalls.open(
            temporary, .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead], operation: "write the rewritten copy")
        do throws(FileError) {
            var output: [UInt8] = []
            output.reserveCapacity(Self.chunk + 4096)
            try forEachLine(in: source) { line, newline throws(FileError) in
                if let replacement = transform(line) {
                    output.append(contentsOf: replacement)
                } else {
                    output.append(contentsOf: line)
                    if newline { output.append(0x0A) }
                }
                if output.count >= Self.chunk {
                    try SystemCalls.writeAll(output, to: descriptor, path: temporary, operation: "write the rewritten copy")
                    output.removeAll(keepingCapacity: true)
                }
            }
            try SystemCalls.writeAll(output, to: descriptor, path: temporary, operation: "write the rewritten copy")
            try SystemCalls.dataSync(descriptor, path: temporary)
            try SystemCalls.close(descriptor, path: temporary)
        } catch {
            SystemCalls.closeAfterReading(descriptor)
            _ = try? SystemCalls.unlink(temporary)
            throw error
        }
        CrashPoint.reach("erase.before-rename")
        try SystemCalls.rename(temporary, to: destination)
        try SystemCalls.syncDirectory(of: destination)
        // The file's line index named the file it replaced; it is rebuilt from the new one.
        _ = try? SystemCalls.unlink(AuditIndexer.indexPath(of: destination))
    }

    /// Removes what a run cut short left beside the log's files; returns how many.
    @discardableResult
    package static func removeLeftovers(of path: String) -> Int {
        let (directory, base) = FileParts.split(path)
        var removed = 0
        for name in FileParts.siblings(of: path) where name.hasPrefix(".\(base)") && name.hasSuffix(".erasing") {
            if (try? SystemCalls.unlink("\(directory)/\(name)")) == true { removed += 1 }
        }
        return removed
    }

    /// `<dir>/.<name>.erasing`: hidden, so no glob of the log's archives takes it for one.
    static func leftoverPath(of file: String) -> String { FileParts.hidden(beside: file, suffix: ".erasing") }

    private static func record(_ change: ContactErasure.LineChange, in scan: inout FileScan) {
        switch change {
        case .untouched: break
        case .alreadyErased(let event):
            scan.alreadyErasedLines += 1
            scan.events.insert(event)
        case .erased(let event, _):
            scan.erasedLines += 1
            scan.events.insert(event)
        }
    }

    static let chunk = 1 << 20

    /// Calls `body` with every line of `file` in order, empty ones too, and whether it ends in a
    /// newline (only the last one may not). Newlines are found with `memchr`, a chunk at a time.
    private static func forEachLine(
        in file: String, _ body: ([UInt8], Bool) throws(FileError) -> Void
    ) throws(FileError) {
        let descriptor = try SystemCalls.open(file, .readOnly, operation: "read the audit log")
        defer { SystemCalls.closeAfterReading(descriptor) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = try SystemCalls.read(descriptor, into: &buffer, path: file, operation: "read the audit log")
            if count == 0 { break }
            var start = 0
            var ends: [Int] = []
            buffer.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                while start < count, let newline = memchr(base + start, 0x0A, count - start) {
                    let index = base.distance(to: UnsafeRawPointer(newline))
                    ends.append(index)
                    start = index + 1
                }
            }
            var from = 0
            for end in ends {
                if pending.isEmpty {
                    try body(Array(buffer[from..<end]), true)
                } else {
                    pending.append(contentsOf: buffer[from..<end])
                    try body(pending, true)
                    pending.removeAll(keepingCapacity: true)
                }
                from = end + 1
            }
            pending.append(contentsOf: buffer[from..<count])
        }
        if !pending.isEmpty { try body(pending, false) }
    }
}
