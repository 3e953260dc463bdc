import HooklineCore
import Testing

@Suite("audit.payloads")
struct PayloadKeepingTests {
    static func opening(_ payload: [UInt8], outcome: AuditOutcome = .received) -> AuditRecord {
        AuditRecord(
            ts: UnixTime(milliseconds: 1_764_835_000_000), outcome: outcome, event: "evt_1", source: "standard", contact: "c_7f3a21",
            targets: ["omni"], payload: payload)
    }

    @Test("redacted masks an opening's personal values and marks it; none drops the payload; full keeps it")
    func openings() throws {
        let body = try Fixtures.bytes("standard/contact-updated.json")
        #expect(PayloadKeeping.full.keep(Self.opening(body)) == Self.opening(body))
        let redacted = PayloadKeeping.redacted.keep(Self.opening(body, outcome: .redriven))
        #expect(redacted.payloadKept == .redacted && PersonalFields.isRedacted(redacted.payload ?? []))
        #expect(!String(decoding: redacted.payload ?? [], as: UTF8.self).contains("priya"))
        let none = PayloadKeeping.none.keep(Self.opening(body))
        #expect(none.payloadKept == PayloadKept.none && none.payload == nil)
        // As lines: the same, newline included; other lines are not touched.
        let line = try #require(PayloadKeeping.redacted.keep(line: Self.opening(body).jsonLine.dropLast()))
        #expect(try AuditRecord(jsonLine: line) == PayloadKeeping.redacted.keep(Self.opening(body)))
        let applied = AuditRecord(ts: .now(), outcome: .applied, event: "evt_1", contact: "c_7f3a21", target: "omni", status: 200)
        #expect(PayloadKeeping.none.keep(line: applied.jsonLine.dropLast()) == nil)
    }

    @Test("a thin message stays whole (it is fetched again); an erased or already kept line stays as it is; a body that is not JSON is dropped")
    func leftAlone() throws {
        let thin = try Fixtures.bytes("buildr/contact-update-thin.json")
        #expect(PayloadKeeping.redacted.keep(Self.opening(thin)) == Self.opening(thin))
        #expect(PayloadKeeping.redacted.keep(line: Self.opening(thin).jsonLine.dropLast()) == nil)
        var erased = Self.opening(thin)
        erased.erased = .now()
        #expect(PayloadKeeping.none.keep(erased) == erased)
        let odd = PayloadKeeping.redacted.keep(Self.opening(Array("a=b".utf8)))
        #expect(odd.payload == nil && odd.payloadKept == PayloadKept.none)
    }

    @Test("the setting reads full, redacted or none, and nothing else")
    func configuration() throws {
        func load(_ value: String) throws -> HooklineConfiguration {
            try ConfigurationLoader.load(
                yaml: """
                    audit: {payloads: \(value)}
                    sources: [{name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}]
                    targets: [{name: omni, kind: omnichannel, base_url: "http://127.0.0.1:9", api_key: k}]
                    routes: [{from: standard, to: omni}]
                    """, file: "hookline.yaml", environment: [:])
        }
        #expect(try load("redacted").audit.payloads == .redacted)
        #expect(try load("none").audit.payloads == PayloadKeeping.none)
        #expect(try load("full").audit.payloads == .full)
        #expect(throws: ConfigurationError.self) { try load("some") }
        do {
            _ = try load("some")
        } catch {
            #expect("\(error)".contains("expected full, redacted or none, got 'some'"), "\(error)")
        }
    }
}
