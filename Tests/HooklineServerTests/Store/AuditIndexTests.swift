import Foundation
import HooklineCore
@testable import HooklineServer
import HooklineTestSupport
import Logging
import Testing

@Suite("the audit log's line index")
struct AuditIndexTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Lines for `events` events (contacts c_0…c_9 in turn), each received then applied.
    static func lines(_ range: Range<Int>) -> [AuditRecord] {
        range.flatMap { index -> [AuditRecord] in
            let event = "evt_\(index)"
            return [
                AuditRecord(
                    ts: UnixTime(milliseconds: 1_796_000_000_000 + Int64(index)), outcome: .received, event: event, message: "msg_\(index)",
                    source: "standard", type: "contact.updated", contact: "c_\(index % 10)", targets: ["omnichannel"], payload: Array("{}".utf8)),
                AuditRecord(ts: UnixTime(milliseconds: 1_796_000_000_500 + Int64(index)), outcome: .applied, event: event, target: "omnichannel", attempt: 1),
            ]
        }
    }

    static func append(_ records: [AuditRecord], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(records.flatMap(\.jsonLine)))
        try handle.close()
    }

    /// The offsets of the lines `matching` in the file, by reading it whole.
    static func offsets(in path: String, _ matching: (AuditRecord) -> Bool) throws -> [Int64] {
        var found: [Int64] = []
        _ = try AuditIndexer.forEachLine(in: path, from: 0) { line, offset in
            if let record = try? AuditRecord(jsonLine: line), matching(record) { found.append(offset) }
        }
        return found
    }

    @Test("reading forward hands every whole line over with its offset, a line longer than the buffer too, and stops past a limit")
    func forward() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("lines")
        let long = String(repeating: "x", count: 3 << 20)
        let text = "a\n" + long + "\nbb\n\nccc\nunfinished"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var seen: [(Int, Int64)] = []
        let end = try AuditIndexer.forEachLine(in: path, from: 0) { line, offset in seen.append((line.count, offset)) }
        #expect(seen.map(\.0) == [1, 3 << 20, 2, 3])
        #expect(seen.map(\.1) == [0, 2, Int64(3 << 20) + 3, Int64(3 << 20) + 7])
        #expect(end == Int64(text.utf8.count - "unfinished".utf8.count), "the unfinished line is left for later")
        var limited: [Int64] = []
        _ = try AuditIndexer.forEachLine(in: path, from: 0, limit: 1) { _, offset in limited.append(offset) }
        #expect(limited == [0])
    }

    @Test("an index built in blocks and merged finds exactly the lines of an event, a contact's openings and a message")
    func findsLines() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.jsonl")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let indexer = AuditIndexer(logPath: path, blockBytes: 2048, mergeAbove: 3, logger: Self.logger)
        var blockCounts: [Int] = []
        for round in 0..<8 {
            try Self.append(Self.lines((round * 25)..<((round + 1) * 25)), to: path)
            indexer.pass()
            blockCounts.append(indexer.index(of: path)?.blocks.count ?? 0)
        }
        #expect((blockCounts.max() ?? 0) <= 4, "merged past three blocks: \(blockCounts)")
        #expect(blockCounts.contains { $0 > 1 }, "several blocks before a merge: \(blockCounts)")
        let index = try #require(indexer.index(of: path))
        let size = try FileSize.of(path)
        #expect(index.coveredEnd == size, "a block a pass: everything is indexed")
        let evt42 = try Self.offsets(in: path) { $0.event == "evt_42" }
        #expect(index.offsets(of: IndexKey.event("evt_42")) == evt42)
        let c3 = try Self.offsets(in: path) { $0.contact == "c_3" && $0.outcome == .received }
        #expect(index.offsets(of: IndexKey.contact("c_3")) == c3)
        #expect(index.offsets(of: IndexKey.contact("c_3")).count == 20)
        let m199 = try Self.offsets(in: path) { $0.message == "msg_199" }
        #expect(index.offsets(of: IndexKey.message("msg_199")) == m199)
        #expect(index.offsets(of: IndexKey.event("evt_nope")).isEmpty)
    }

    @Test("lookups see lines the index has not reached yet; a damaged index is cut back and rebuilt by the next run")
    func tailAndDamage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.jsonl")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        try Self.append(Self.lines(0..<50), to: path)
        let first = AuditIndexer(logPath: path, blockBytes: 1 << 30, logger: Self.logger)
        first.pass(all: true)
        try Self.append(Self.lines(50..<60), to: path)
        // Not indexed yet (less than a block): found by the history's scan of the tail.
        let history = AuditLogHistory(path: path, indexer: first)
        #expect(try history.events(EventQuery(contact: "c_5"), limit: 10).events.map(\.id) == ["evt_55", "evt_45", "evt_35", "evt_25", "evt_15", "evt_5"])
        #expect(try history.event("evt_57")?.lines.map(\.outcome) == [.applied])

        // Garbage after the valid blocks (a crash mid-write): the next run keeps what is whole.
        let indexPath = AuditIndexer.indexPath(of: path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: indexPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(Array("HLBLOCK1".utf8) + [UInt8](repeating: 0xFF, count: 40)))
        try handle.close()
        let second = AuditIndexer(logPath: path, blockBytes: 1 << 30, logger: Self.logger)
        second.pass(all: true)
        let index = try #require(second.index(of: path))
        let size = try FileSize.of(path)
        #expect(index.coveredEnd == size)
        #expect(index.offsets(of: IndexKey.contact("c_5")).count == 6)
        // An index of another file (the inode differs) is not used.
        #expect(AuditIndexFile.open(indexPath, inode: 1, verify: true) == nil)
    }

    @Test("at a rotation the live index goes with the archive, finished, and a new one follows the new file")
    func rotation() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.jsonl")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        try Self.append(Self.lines(0..<30), to: path)
        let indexer = AuditIndexer(logPath: path, blockBytes: 1 << 30, logger: Self.logger)
        indexer.pass(all: true)
        try Self.append(Self.lines(30..<40), to: path)
        // Rotate as the writer does: the old file gets an archive name, a new file takes the path.
        let archive = directory.file("audit.jsonl.20261204T050000000Z")
        try FileManager.default.linkItem(atPath: path, toPath: archive)
        let next = directory.file("audit.jsonl.next")
        try Data(Self.lines(40..<45).flatMap(\.jsonLine)).write(to: URL(fileURLWithPath: next))
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: next, toPath: path)
        indexer.pass(all: true)
        let archived = try #require(indexer.index(of: archive))
        let archiveSize = try FileSize.of(archive)
        #expect(archived.finished && archived.coveredEnd == archiveSize, "finished, with the lines written after the last pass")
        let evt35 = try Self.offsets(in: archive) { $0.event == "evt_35" }
        #expect(archived.offsets(of: IndexKey.event("evt_35")) == evt35 && evt35.count == 2)
        #expect(FileManager.default.fileExists(atPath: directory.file(".audit.jsonl.20261204T050000000Z.idx")), "hidden beside its archive")
        #expect(AuditIndexer.indexPath(of: "/var/log/hookline/audit.jsonl") == "/var/log/hookline/.audit.jsonl.idx")
        let live = try #require(indexer.index(of: path))
        let evt42 = try Self.offsets(in: path) { $0.event == "evt_42" }
        #expect(live.offsets(of: IndexKey.event("evt_42")) == evt42 && evt42.count == 2)
        #expect(live.offsets(of: IndexKey.event("evt_35")).isEmpty)
        // A new run finds both as they were left.
        let again = AuditIndexer(logPath: path, blockBytes: 1 << 30, logger: Self.logger)
        again.pass()
        #expect(again.index(of: archive)?.finished == true)
        let history = AuditLogHistory(path: path, indexer: again)
        #expect(try history.events(EventQuery(contact: "c_2"), limit: 10).events.map(\.id) == ["evt_42", "evt_32", "evt_22", "evt_12", "evt_2"])
        #expect(try history.event("evt_12")?.opening.event == "evt_12")
    }
}
