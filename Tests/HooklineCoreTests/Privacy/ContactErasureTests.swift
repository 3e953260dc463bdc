import HooklineCore
import Testing

@Suite("Erasing a contact's lines")
struct ContactErasureTests {
    static let at = UnixTime(milliseconds: 1_764_836_000_000)
    static let erasure = ContactErasure(contact: "c_7f3a21", source: "standard", reason: "request #4711", at: at)

    static func received(contact: String = "c_7f3a21", source: String = "standard") -> AuditRecord {
        AuditRecord(
            ts: UnixTime(milliseconds: 1_764_835_000_000), outcome: .received, event: "evt_1", message: "msg_1", source: source,
            type: "contact.updated", contact: contact, targets: ["omni"], remote: "203.0.113.9",
            payload: Array(#"{"type":"contact.updated","data":{"id":"c_7f3a21","email":"priya@example.com"}}"#.utf8))
    }

    @Test("an opening loses its payload and gains the marker; its ids, times, targets and sender stay; the line reads back")
    func opening() throws {
        let line = Self.received().jsonLine
        guard case .erased(let event, let erased) = Self.erasure.change(line.dropLast()) else {
            Issue.record("the contact's opening was not erased")
            return
        }
        #expect(event == "evt_1")
        let text = String(decoding: erased, as: UTF8.self)
        #expect(
            text
                == #"{"ts":"2025-12-04T07:56:40.000Z","outcome":"received","event":"evt_1","message":"msg_1","source":"standard","type":"contact.updated","contact":"c_7f3a21","targets":["omni"],"remote":"203.0.113.9","erased":"2025-12-04T08:13:20.000Z","erased_reason":"request #4711"}"#
                + "\n")
        let back = try AuditRecord(jsonLine: erased)
        #expect(back.erased == Self.at && back.erasedReason == "request #4711" && back.payload == nil)
        #expect(!text.contains("priya"))
        // A second run finds it erased and leaves it.
        #expect(Self.erasure.change(erased.dropLast()) == .alreadyErased(event: "evt_1"))
    }

    @Test("a job's line loses its error text (a target's answer may quote the values) but keeps status, attempt and call")
    func jobLine() throws {
        let failed = AuditRecord(
            ts: .now(), outcome: .failed, event: "evt_1", source: "standard", type: "contact.updated", contact: "c_7f3a21", target: "omni",
            attempt: 1, status: 422, ms: 12, request: "PUT /contacts/c_7f3a21", error: "422: email priya@example.com is taken")
        guard case .erased(_, let erased) = Self.erasure.change(failed.jsonLine.dropLast()) else {
            Issue.record("the contact's failed line was not erased")
            return
        }
        let back = try AuditRecord(jsonLine: erased)
        #expect(back.error == nil && back.status == 422 && back.attempt == 1 && back.request == "PUT /contacts/c_7f3a21" && back.target == "omni")
        #expect(back.outcome == .failed && back.erased == Self.at)
    }

    @Test("other contacts, another source, lines without an event, and unreadable lines are left byte for byte")
    func untouched() {
        #expect(Self.erasure.change(Self.received(contact: "c_other").jsonLine.dropLast()) == .untouched)
        #expect(Self.erasure.change(Self.received(source: "other").jsonLine.dropLast()) == .untouched)
        let erasedLine = Self.erasure.line(events: 3, by: "shell:ops")
        #expect(Self.erasure.change(erasedLine.jsonLine.dropLast()) == .untouched)
        #expect(Self.erasure.change(Array(#"{"contact":"c_7f3a21", broken"#.utf8)) == .untouched)
        // A contact id that only starts the same is another contact.
        #expect(Self.erasure.change(Self.received(contact: "c_7f3a21x").jsonLine.dropLast()) == .untouched)
        // Without a source, any source's contact of that id is the one.
        let anySource = ContactErasure(contact: "c_7f3a21", source: nil, reason: "r", at: Self.at)
        guard case .erased = anySource.change(Self.received(source: "other").jsonLine.dropLast()) else {
            Issue.record("without --source, the id of any source is erased")
            return
        }
    }

    @Test("the erased line names the contact, the source, how many events, why and who; tail shows erased lines")
    func erasedLine() throws {
        let line = Self.erasure.line(events: 3, by: "shell:ops")
        let back = try AuditRecord(jsonLine: line.jsonLine)
        #expect(back.outcome == .erased && back.contact == "c_7f3a21" && back.source == "standard" && back.count == 3)
        #expect(back.reason == "request #4711" && back.by == "shell:ops")
        guard case .erased(_, let erased) = Self.erasure.change(Self.received().jsonLine.dropLast()) else { return }
        let row = AuditLineFormatter.format(try AuditRecord(jsonLine: erased), colour: false)
        #expect(row.contains("erased 2025-12-04T08:13:20.000Z: request #4711"), "\(row)")
    }

    @Test("payload_kept and erased read back, and a value they cannot hold makes the line unreadable")
    func fields() throws {
        var record = Self.received()
        record.payloadKept = .redacted
        #expect(try AuditRecord(jsonLine: record.jsonLine) == record)
        #expect(throws: AuditLineError.self) { try AuditRecord(jsonLine: Array(#"{"ts":"2025-12-04T07:56:40.000Z","outcome":"received","payload_kept":"some"}"#.utf8)) }
        #expect(throws: AuditLineError.self) { try AuditRecord(jsonLine: Array(#"{"ts":"2025-12-04T07:56:40.000Z","outcome":"received","erased":"yesterday"}"#.utf8)) }
    }
}
