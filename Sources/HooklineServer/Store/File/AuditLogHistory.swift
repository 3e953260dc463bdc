import HooklineCore
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// The console's view of a file store: its audit log read backwards, newest line first — the
/// live file, then its archives, newest first — within a read budget per page, so a page costs
/// at most `budget` bytes read and memory for the events still open in it. A page that runs
/// out of budget before it is full says how far back it looked, and its cursor goes on from
/// there.
///
/// A cursor is `<file>@<offset>`: the file (`-` for the live one, else the archive's suffix)
/// and the offset of the next line to read back from. A cursor into the live file taken before
/// a rotation reads from the live file's new lines at that offset: at worst a page repeats or
/// skips a little, nothing is changed.
struct AuditLogHistory: Sendable {
    let path: String
    /// Bytes one page may read.
    var budget: Int64 = 64 << 20
    static let chunk = 1 << 20

    /// The live file, then the archives, newest first, as (cursor name, path).
    func segments() -> [(name: String, path: String)] {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let names = (try? SystemCalls.names(in: directory.isEmpty ? "/" : directory)) ?? []
        let archives = names.filter { $0.hasPrefix(base + ".") && $0.dropFirst(base.count + 1).first?.isNumber == true }.sorted(by: >)
        return [("-", path)] + archives.map { (String($0.dropFirst(base.count + 1)), "\(directory)/\($0)") }
    }

    /// A page of events matching `query`, newest first.
    func events(_ query: EventQuery, limit: Int) throws -> EventPage {
        var (segmentIndex, offset) = try position(query.before)
        let segments = segments()
        var builder = EventSummaryBuilder()
        var found: [EventSummary] = []
        var read: Int64 = 0
        var oldest: UnixTime?
        while segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            var stoppedAt: Int64?
            try Self.forEachLineBackward(in: segment.path, before: offset) { line, start in
                read += Int64(line.count + 1)
                if let record = try? AuditRecord(jsonLine: line) {
                    oldest = record.ts
                    if let summary = builder.add(newestFirst: record), query.matches(summary) {
                        found.append(summary)
                        // The next page starts at the line before this opening.
                        if found.count == limit {
                            stoppedAt = start
                            return false
                        }
                    }
                    if let since = query.since, record.ts < since, builder.pending == 0 {
                        stoppedAt = -1
                        return false
                    }
                }
                if read >= budget {
                    stoppedAt = start
                    return false
                }
                return true
            }
            if let stoppedAt {
                if stoppedAt < 0 { return EventPage(events: found, next: nil) }
                let next = "\(segment.name)@\(stoppedAt)"
                return EventPage(events: found, next: next, searchedBackTo: found.count < limit ? oldest : nil)
            }
            segmentIndex += 1
            offset = nil
        }
        return EventPage(events: found, next: nil)
    }

    /// Every line about `id`, from its (first) opening on: the log is read back until that
    /// opening is found.
    func event(_ id: String) throws -> EventDetail? {
        var lines: [AuditRecord] = []
        var opening: AuditRecord?
        for segment in segments() {
            try Self.forEachLineBackward(in: segment.path, before: nil) { line, _ in
                // Cheap test before a parse: the id's bytes must be in the line.
                guard Self.contains(line, id), let record = try? AuditRecord(jsonLine: line), record.event == id || record.into == id else {
                    return true
                }
                if record.outcome == .received, record.event == id {
                    opening = record
                    return false
                }
                lines.append(record)
                return true
            }
            if opening != nil { break }
        }
        guard let opening else { return nil }
        // Carried lines (rotation copies an owed event's lines into the next file) show once.
        var seen: Set<[UInt8]> = []
        let unique = lines.reversed().filter { seen.insert($0.jsonLine).inserted }
        return EventDetail(opening: opening, lines: unique)
    }

    private func position(_ cursor: String?) throws -> (Int, Int64?) {
        guard let cursor else { return (0, nil) }
        let parts = cursor.split(separator: "@")
        guard parts.count == 2, let offset = Int64(parts[1]), offset >= 0 else { throw EventQueryError("before: not a cursor this console made") }
        guard let index = segments().firstIndex(where: { $0.name == parts[0] }) else { throw EventQueryError("before: that part of the log is gone") }
        return (index, offset)
    }

    private static func contains(_ line: UnsafeRawBufferPointer, _ needle: String) -> Bool {
        var needle = needle
        return needle.withUTF8 { pattern in
            guard let base = line.baseAddress, let wanted = pattern.baseAddress, let first = pattern.first, pattern.count <= line.count else {
                return false
            }
            var start = 0
            while start + pattern.count <= line.count, let found = memchr(base + start, Int32(first), line.count - start - pattern.count + 1) {
                let index = base.distance(to: UnsafeRawPointer(found))
                if memcmp(base + index, wanted, pattern.count) == 0 { return true }
                start = index + 1
            }
            return false
        }
    }

    /// Calls `body` with each complete line of `path` that ends before `before` (the end of the
    /// file when nil; a last line without its newline is still being written and is left out),
    /// newest first, with its offset, until it returns false.
    static func forEachLineBackward(
        in path: String, before: Int64?, chunk size: Int = chunk, _ body: (UnsafeRawBufferPointer, Int64) throws -> Bool
    ) throws {
        guard SystemCalls.exists(path) else { return }
        let descriptor = try SystemCalls.open(path, .readOnly, operation: "read the audit log")
        defer { SystemCalls.closeAfterReading(descriptor) }
        let fileSize = try SystemCalls.status(descriptor, path: path).size
        var chunk = [UInt8](repeating: 0, count: max(1, size))
        // Reads [start, end) into a new array.
        func read(_ start: Int64, _ end: Int64) throws -> [UInt8] {
            let count = try SystemCalls.read(descriptor, at: start, into: &chunk, path: path, operation: "read the audit log")
            return Array(chunk[0..<min(count, Int(end - start))])
        }
        // Where complete lines end: `before` (a line's start, so just past a newline), or just
        // past the file's last newline.
        var end = min(before ?? fileSize, fileSize)
        if before == nil {
            var probe = end
            var found = false
            while probe > 0, !found {
                let start = max(0, probe - Int64(chunk.count))
                let block = try read(start, probe)
                if let newline = block.lastIndex(of: 0x0A) {
                    end = start + Int64(newline) + 1
                    found = true
                }
                probe = start
            }
            if !found { return }
        }
        // The start of a line read in part: it continues in the block read before.
        var carry: [UInt8] = []
        while end > 0 {
            let start = max(0, end - Int64(chunk.count))
            var block = try read(start, end)
            block.append(contentsOf: carry)
            carry = []
            var stop = false
            try block.withUnsafeBytes { bytes in
                // `last` is the newline that ends the line being looked for.
                var last = bytes.count - 1
                while last >= 0 {
                    var begin = last - 1
                    while begin >= 0, bytes[begin] != 0x0A { begin -= 1 }
                    if begin < 0, start > 0 {
                        carry = Array(bytes[0...last])
                        return
                    }
                    let line = UnsafeRawBufferPointer(rebasing: bytes[(begin + 1)..<last])
                    if !line.isEmpty, !(try body(line, start + Int64(begin + 1))) {
                        stop = true
                        return
                    }
                    last = begin
                }
            }
            if stop { return }
            end = start
        }
    }
}
