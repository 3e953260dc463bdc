import Foundation
import HooklineCore
@testable import HooklineServer
import HooklineTestSupport
import Testing

@Suite("reading the audit log back, for the console")
struct AuditLogHistoryTests {
    @Test("lines come newest first with their offsets, whatever the chunk size; an unfinished last line is left out; `before` starts at a line", arguments: [1, 3, 7, 64, 1 << 20])
    func backwards(chunk: Int) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.jsonl")
        let lines = ["first", "", "the second line", "3", "fourth, a longer line than the others"]
        let text = lines.joined(separator: "\n") + "\n" + "unfinished"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var read: [(String, Int64)] = []
        try AuditLogHistory.forEachLineBackward(in: path, before: nil, chunk: chunk) { line, offset in
            read.append((String(decoding: line, as: UTF8.self), offset))
            return true
        }
        #expect(read.map(\.0) == ["fourth, a longer line than the others", "3", "the second line", "first"], "empty lines are skipped")
        for (line, offset) in read {
            #expect(Array(text.utf8)[Int(offset)..<(Int(offset) + line.utf8.count)] == Array(line.utf8)[...])
        }
        // From the third line's offset: the lines before it.
        var before: [String] = []
        try AuditLogHistory.forEachLineBackward(in: path, before: read[2].1, chunk: chunk) { line, _ in
            before.append(String(decoding: line, as: UTF8.self))
            return true
        }
        #expect(before == ["first"])
        // Stopping early stops.
        var count = 0
        try AuditLogHistory.forEachLineBackward(in: path, before: nil, chunk: chunk) { _, _ in
            count += 1
            return count < 2
        }
        #expect(count == 2)
    }

    @Test("a page that runs out of its read budget says how far back it looked, and its cursor goes on from there")
    func budget() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("audit.jsonl")
        var text = ""
        for index in 0..<50 {
            let record = AuditRecord(
                ts: UnixTime(milliseconds: 1_796_000_000_000 + Int64(index) * 1000), outcome: .received, event: "evt_\(index)", message: "m\(index)",
                source: "standard", type: index == 3 ? "contact.rare" : "contact.updated", contact: "c_common", targets: ["omnichannel"], payload: Array("{}".utf8))
            text += String(decoding: record.jsonLine, as: UTF8.self)
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var history = AuditLogHistory(path: path)
        history.budget = 1000
        var query = EventQuery(type: "contact.rare")
        var pages = 0
        var found: [String] = []
        while true {
            let page = try history.events(query, limit: 10)
            pages += 1
            found += page.events.map(\.id)
            if page.events.isEmpty { #expect(page.searchedBackTo != nil || page.next == nil) }
            guard let next = page.next else { break }
            query.before = next
        }
        #expect(found == ["evt_3"])
        #expect(pages > 3, "each page read about 1,000 bytes")
        #expect(throws: EventQueryError.self) { try history.events(EventQuery(before: "nonsense"), limit: 1) }
    }
}
