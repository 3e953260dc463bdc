import HooklineCore
import Testing

@Suite("audit lines")
struct AuditRecordTests {
    @Test("a received line has the contract's keys in order, the payload last and escaped")
    func receivedLine() {
        let record = AuditRecord(
            ts: UnixTime(milliseconds: 1_763_798_345_123), outcome: .received, event: "evt_1", message: "msg_1",
            source: "standard", type: "contact.updated", contact: "c_1", targets: ["buildr", "plannr"],
            payload: Array("{\"a\": \"b\"}\n".utf8))
        let line = String(decoding: record.jsonLine, as: UTF8.self)
        #expect(
            line == #"{"ts":"2025-11-22T07:59:05.123Z","outcome":"received","event":"evt_1","message":"msg_1","source":"standard","type":"contact.updated","contact":"c_1","targets":["buildr","plannr"],"payload":"{\"a\": \"b\"}\n"}"# + "\n")
    }

    @Test("lines read back into the same record")
    func roundTrip() throws {
        let record = AuditRecord(
            ts: UnixTime(milliseconds: 1_763_798_345_001), outcome: .retry, event: "evt_2", source: "buildr",
            contact: "144", target: "plannr", attempt: 2, status: 503, ms: 12, retryInMs: 1500,
            request: "PUT /contact-details/u1", error: "service unavailable \"x\"", payload: Array("é\u{1}".utf8))
        #expect(try AuditRecord(jsonLine: record.jsonLine) == record)
    }

    @Test("RFC 3339 timestamps format and parse")
    func timestamps() {
        #expect(UnixTime(milliseconds: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(UnixTime(milliseconds: 951_782_400_000).rfc3339 == "2000-02-29T00:00:00.000Z")
        #expect(UnixTime(rfc3339: "2026-06-29T13:21:57+01:00") == UnixTime(rfc3339: "2026-06-29T12:21:57Z"))
        #expect(UnixTime(rfc3339: "2026-11-22T07:19:05.5Z")?.milliseconds == UnixTime(rfc3339: "2026-11-22T07:19:05Z").map { $0.milliseconds + 500 })
        #expect(UnixTime(rfc3339: "2026-13-01T00:00:00Z") == nil)
        #expect(UnixTime(rfc3339: "yesterday") == nil)
    }

    @Test("an unreadable line is an error, not a crash")
    func unreadable() {
        #expect(throws: AuditLineError.self) { try AuditRecord(jsonLine: Array(#"{"ts":"x","outcome":"received"}"#.utf8)) }
        #expect(throws: AuditLineError.self) { try AuditRecord(jsonLine: Array(#"{"ts":"2026-11-22T07:19:05Z","#.utf8)) }
    }
}
