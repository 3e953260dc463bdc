import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

@Suite("Archives kept less (audit.payloads with a file store)")
struct ArchiveKeepingTests {
    static func opening(_ id: String, email: String) -> AuditRecord {
        AuditRecord(
            ts: UnixTime(milliseconds: 1_764_835_000_000), outcome: .received, event: id, source: "standard", contact: "c1", targets: ["omni"],
            payload: Array(#"{"type":"contact.updated","data":{"id":"c1","email":"\#(email)"}}"#.utf8))
    }

    static func write(_ records: [AuditRecord], to path: String) throws {
        try Data(records.flatMap(\.jsonLine)).write(to: URL(fileURLWithPath: path))
    }

    @Test("a whole archive is written kept less under its final name and removed; the live file is not touched")
    func keepsLess() throws {
        let directory = try TemporaryDirectory()
        let log = directory.file("audit.jsonl")
        let live = [Self.opening("evt_live", email: "live@example.com")]
        try Self.write(live, to: log)
        let applied = AuditRecord(ts: .now(), outcome: .applied, event: "evt_1", contact: "c1", target: "omni", status: 200)
        try Self.write([Self.opening("evt_1", email: "one@example.com"), applied], to: "\(log).20261204T100000000Z.whole")
        let written = try ArchiveKeeping.pass(log, keeping: .redacted, indexer: nil)
        #expect(written == ["\(log).20261204T100000000Z"])
        #expect(!FileManager.default.fileExists(atPath: "\(log).20261204T100000000Z.whole"))
        let archive = String(decoding: try FileBytes.read("\(log).20261204T100000000Z"), as: UTF8.self)
        #expect(!archive.contains("one@example.com") && archive.contains(#""payload_kept":"redacted""#))
        #expect(archive.hasSuffix(String(decoding: applied.jsonLine, as: UTF8.self)), "other lines are copied as they were")
        #expect(try FileBytes.read(log) == live.flatMap(\.jsonLine))
        #expect(try ArchiveKeeping.pass(log, keeping: .redacted, indexer: nil).isEmpty, "nothing is left to do")
    }

    @Test("cut short after its rename, the next pass only removes the whole copy; a leftover copy is replaced")
    func finishesWhatWasCut() throws {
        let directory = try TemporaryDirectory()
        let log = directory.file("audit.jsonl")
        try Self.write([], to: log)
        let final = "\(log).20261204T100000000Z"
        try Self.write([PayloadKeeping.none.keep(Self.opening("evt_1", email: "one@example.com"))], to: final)
        try Self.write([Self.opening("evt_1", email: "one@example.com")], to: final + ".whole")
        // What a pass killed before its rename leaves: a hidden copy beside the final name.
        try Data("partial".utf8).write(to: URL(fileURLWithPath: directory.file(".audit.jsonl.20261204T100000000Z.erasing")))
        let kept = try FileBytes.read(final)
        // Meanwhile the console's history reads the kept copy alone; an erase reaches both.
        #expect(AuditLogHistory.files(of: log) == [log, final])
        #expect(AuditLogEraser.segments(of: log) == [log, final + ".whole", final])
        #expect(try ArchiveKeeping.pass(log, keeping: PayloadKeeping.none, indexer: nil).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: final + ".whole"))
        #expect(try FileBytes.read(final) == kept)
        #expect(!FileManager.default.fileExists(atPath: directory.file(".audit.jsonl.20261204T100000000Z.erasing")), "the partial copy is removed")
        // A whole archive with a leftover copy of its own: the copy is written afresh.
        try Self.write([Self.opening("evt_2", email: "two@example.com")], to: "\(log).20261204T110000000Z.whole")
        try Data("partial".utf8).write(to: URL(fileURLWithPath: directory.file(".audit.jsonl.20261204T110000000Z.erasing")))
        #expect(try ArchiveKeeping.pass(log, keeping: PayloadKeeping.none, indexer: nil) == ["\(log).20261204T110000000Z"])
        let second = try AuditRecord(jsonLine: try FileBytes.read("\(log).20261204T110000000Z").dropLast())
        #expect(second.payload == nil && second.payloadKept == PayloadKept.none && second.event == "evt_2")
    }
}
