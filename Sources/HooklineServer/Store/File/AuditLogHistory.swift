import HooklineCore
import SystemPackage

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
package struct AuditLogHistory: Sendable {
    let path: String
    /// The line indexes, when kept: lookups by event, contact and message use them.
    var indexer: AuditIndexer?
    /// Bytes one page may read.
    var budget: Int64 = 64 << 20
    static let chunk = 1 << 20

    /// The files a reader of the log at `path` reads: the live file, then the archives, newest first.
    package static func files(of path: String) -> [String] {
        AuditLogHistory(path: path).segments().map(\.path)
    }

    /// The live file, then the archives, newest first, as (cursor name, path). An archive still
    /// named `.whole` whose kept copy is already in place (`ArchiveKeeping` removes it next) is
    /// left out, unless `superseded`: its lines would be read twice.
    func segments(superseded: Bool = false) -> [(name: String, path: String)] {
        let (directory, base) = FileParts.split(path)
        let names = FileParts.siblings(of: path).filter { $0.hasPrefix(base + ".") && $0.dropFirst(base.count + 1).first?.isNumber == true }
        let present = Set(names)
        let archives = names.filter {
            superseded || !($0.hasSuffix(ArchiveKeeping.suffix) && present.contains(String($0.dropLast(ArchiveKeeping.suffix.count))))
        }.sorted(by: >)
        return [("-", path)] + archives.map { (String($0.dropFirst(base.count + 1)), "\(directory)/\($0)") }
    }

    /// A page of events matching `query`, newest first: by the index when the query names a
    /// contact, a message or an event, else by reading back.
    func events(_ query: EventQuery, limit: Int) throws -> EventPage {
        if query.event != nil || query.contact != nil || query.message != nil { return try lookUp(query, limit: limit) }
        return try readBack(query, limit: limit)
    }

    private func readBack(_ query: EventQuery, limit: Int) throws -> EventPage {
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

    /// Every line about `id`, from its (first) opening on, found by the index.
    func event(_ id: String) throws -> EventDetail? {
        var related: [AuditRecord] = []
        var opening: AuditRecord?
        for segment in segments() {
            for (_, record) in try lines(under: [IndexKey.event(id)], in: segment.path).reversed() where record.event == id || record.into == id {
                if record.outcome == .received, record.event == id {
                    opening = record
                    break
                }
                related.append(record)
            }
            if opening != nil { break }
        }
        guard let opening else { return nil }
        // Carried lines (rotation copies an owed event's lines into the next file) show once.
        var seen: Set<[UInt8]> = []
        let unique = related.reversed().filter { seen.insert($0.jsonLine).inserted }
        return EventDetail(opening: opening, lines: unique)
    }

    /// Events of a contact, a message or one id: their openings by the index, newest first,
    /// then each event's own lines for where its targets stand.
    private func lookUp(_ query: EventQuery, limit: Int) throws -> EventPage {
        let key: UInt64
        if let event = query.event {
            key = IndexKey.event(event)
        } else if let contact = query.contact {
            key = IndexKey.contact(contact)
        } else {
            key = IndexKey.message(query.message ?? "")
        }
        var (segmentIndex, before) = try position(query.before)
        let segments = segments()
        var found: [EventSummary] = []
        var listed: Set<String> = []
        while segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            let openings = try lines(under: [key], in: segment.path).reversed().filter { offset, record in
                (before.map { offset < $0 } ?? true) && [.received, .redriven].contains(record.outcome)
                    && (query.event.map { record.event == $0 } ?? true) && (query.contact.map { record.contact == $0 } ?? true)
                    && (query.message.map { record.message == $0 } ?? true)
            }
            // In batches: each batch's lines are found in one pass over each file's unindexed
            // tail, not one per event.
            var remaining = openings.filter { $0.1.event.map { !listed.contains($0) } ?? false }[...]
            while !remaining.isEmpty {
                let batch = remaining.prefix(max(limit - found.count, 1) * 2)
                remaining = remaining.dropFirst(batch.count)
                let ids = Set(batch.compactMap(\.1.event))
                var newestFirst: [String: [AuditRecord]] = [:]
                for later in segments[...segmentIndex] {
                    for (_, line) in try lines(under: Set(ids.map(IndexKey.event)), in: later.path).reversed() {
                        if let id = line.event, ids.contains(id) { newestFirst[id, default: []].append(line) }
                    }
                }
                for (offset, opening) in batch {
                    guard let id = opening.event, listed.insert(id).inserted else { continue }
                    var builder = EventSummaryBuilder()
                    var summary: EventSummary?
                    for line in newestFirst[id] ?? [] {
                        if let made = builder.add(newestFirst: line) { summary = summary ?? made }
                    }
                    guard let summary = summary ?? builder.add(newestFirst: opening), query.matches(summary) else { continue }
                    found.append(summary)
                    if found.count == limit { return EventPage(events: found, next: "\(segment.name)@\(offset)") }
                }
            }
            segmentIndex += 1
            before = nil
        }
        return EventPage(events: found, next: nil)
    }

    /// The lines of the log file at `path` under any of `keys`, in the file's order, each with
    /// its offset: the index's, and a scan of what it does not cover yet (all of the file when
    /// it has none). A line under a key's hash that is not the id asked for is the caller's to
    /// drop.
    func lines(under keys: Set<UInt64>, in path: String) throws -> [(Int64, AuditRecord)] {
        let index = indexer?.index(of: path)
        var offsets = keys.flatMap { index?.offsets(of: $0) ?? [] }
        var found: [UInt64] = []
        _ = try AuditIndexer.forEachLine(in: path, from: index?.coveredEnd ?? 0) { line, offset in
            found.removeAll(keepingCapacity: true)
            guard AuditLineScanner.indexKeys(line, into: &found), found.contains(where: keys.contains) else { return }
            offsets.append(offset)
        }
        guard !offsets.isEmpty else { return [] }
        let descriptor = try SystemCalls.open(path, .readOnly, operation: "read the audit log")
        defer { SystemCalls.closeAfterReading(descriptor) }
        var lines: [(Int64, AuditRecord)] = []
        for offset in Set(offsets).sorted() {
            guard let record = try? AuditRecord(jsonLine: try AuditLogReader.line(at: offset, in: descriptor, path: path)) else { continue }
            lines.append((offset, record))
        }
        return lines
    }

    private func position(_ cursor: String?) throws -> (Int, Int64?) {
        guard let cursor else { return (0, nil) }
        let parts = cursor.split(separator: "@")
        guard parts.count == 2, let offset = Int64(parts[1]), offset >= 0 else { throw EventQueryError("before: not a cursor this console made") }
        guard let index = segments().firstIndex(where: { $0.name == parts[0] }) else { throw EventQueryError("before: that part of the log is gone") }
        return (index, offset)
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
