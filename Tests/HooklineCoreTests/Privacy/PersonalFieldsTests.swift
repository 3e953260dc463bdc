import HooklineCore
import Testing

@Suite("Redacting payloads (audit.payloads: redacted)")
struct PersonalFieldsTests {
    /// Every string a patch would send that is not an id.
    static func personalValues(of patch: ContactPatch) -> [String] {
        var values: [String] = []
        func add(_ update: FieldUpdate<String>?) { if case .set(let text)? = update { values.append(text) } }
        func phone(_ update: FieldUpdate<PhoneNumber>?) { if case .set(let number)? = update { values.append(number.number) } }
        add(patch.firstName)
        add(patch.lastName)
        add(patch.secondLastName)
        add(patch.email)
        add(patch.companyName)
        add(patch.jobTitle)
        add(patch.linkedInURL)
        add(patch.language)
        add(patch.countryCode)
        phone(patch.mobilePhone)
        phone(patch.officePhone)
        if case .set(let emails)? = patch.additionalEmails { values += emails }
        if case .set(let phones)? = patch.otherPhones { values += phones.map(\.number) }
        for update in patch.customFields.values { if case .set(.string(let text)) = update { values.append(text) } }
        return values
    }

    @Test("every fixture with a contact: no personal value is left, the contact id, type and kind survive, and the shape decodes", arguments: [
        ("standard", "standard/contact-created.json"), ("standard", "standard/contact-updated.json"), ("standard", "standard/contact-updated-clears.json"),
        ("buildr", "buildr/contact-create-full.json"), ("buildr", "buildr/contact-update-full.json"),
        ("plannr", "plannr/account-created.json"), ("plannr", "plannr/account-updated.json"),
    ])
    func redactsFixtures(kind: String, path: String) throws {
        let original = try Fixtures.bytes(path)
        let message = try #require(try Fixtures.decode(path, as: kind).contactMessage)
        guard case .patch(let patch) = message.contact else {
            Issue.record("\(path) is not a full message")
            return
        }
        let values = Self.personalValues(of: patch)
        let (redacted, masked) = try #require(PersonalFields.redact(original))
        // A message that only clears fields holds nothing personal: it is kept as it came.
        #expect(masked == !values.isEmpty, "\(path): \(values)")
        #expect(PersonalFields.isRedacted(redacted) == masked)
        #expect(masked || redacted == original)
        let text = String(decoding: redacted, as: UTF8.self)
        for value in values where value.count >= 3 { #expect(!text.contains(value), "\(path): \(value) is still in \(text)") }
        let again = try #require(try SourceKind(rawValue: kind).map { try $0.decode(bytes: redacted, context: MessageContext()) }?.contactMessage)
        #expect(again.contactID == message.contactID)
        #expect(again.type == message.type)
        #expect(again.kind == message.kind)
        if case .patch(let redactedPatch) = again.contact {
            #expect(redactedPatch.externalReferences == patch.externalReferences)
            #expect(redactedPatch.companyID == patch.companyID)
            #expect(Self.personalValues(of: redactedPatch).allSatisfy { $0 == PersonalFields.mask })
        }
    }

    @Test("a Buildr thin message holds nothing personal: it is kept byte for byte, unmarked, and can be fetched again", arguments: [
        "buildr/contact-update-thin.json", "buildr/contact-create-thin.json",
    ])
    func thinUnchanged(path: String) throws {
        let original = try Fixtures.bytes(path)
        let (kept, masked) = try #require(PersonalFields.redact(original))
        #expect(!masked)
        #expect(kept == original)
        #expect(!PersonalFields.isRedacted(kept))
    }

    @Test("nulls (a cleared field), booleans and a phone's kind stay; nested objects and arrays keep their shape; other members are untouched")
    func shapes() throws {
        let body = Array(#"{"id":7,"email":null,"phones":[{"kind":"mobile","number":"+44 7700 900123"}],"opt_in":true,"data":{"first_name":"Ann","n":1}}"#.utf8)
        let (redacted, masked) = try #require(PersonalFields.redact(body))
        #expect(masked)
        #expect(
            String(decoding: redacted, as: UTF8.self)
                == #"{"id":7,"email":null,"phones":[{"kind":"mobile","number":"[redacted by hookline]"}],"opt_in":true,"data":{"first_name":"[redacted by hookline]","n":1}}"#)
        #expect(PersonalFields.redact(Array("not json".utf8)) == nil)
    }

    @Test("a redacted payload, or one not kept, or erased, is never decoded for a target again: recovery and redrive say why")
    func neverApplied() throws {
        let configuration = try ConfigurationLoader.load(
            yaml: """
                sources: [{name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}}]
                targets: [{name: omni, kind: omnichannel, base_url: "http://127.0.0.1:9", api_key: k}]
                routes: [{from: standard, to: omni}]
                """, file: "test.yaml", environment: [:])
        let events = EventJobs(configuration)
        let body = try Fixtures.bytes("standard/contact-updated.json")
        var record = AuditRecord(ts: .now(), outcome: .received, event: "evt_1", source: "standard", contact: "c_7f3a21", targets: ["omni"], payload: body)
        guard case .success = events.restore(record, owed: ["omni"]) else {
            Issue.record("the whole payload restores")
            return
        }
        let redacted = try #require(PersonalFields.redact(body)).payload
        record.payload = redacted
        // The mark on the line is gone (a database row redacted while a redrive raced it): the masks still stop it.
        guard case .failure(let masked) = events.restore(record, owed: ["omni"]) else {
            Issue.record("a redacted payload was restored")
            return
        }
        #expect(masked.description.contains("audit.payloads: redacted"))
        record.payloadKept = PayloadKept.none
        record.payload = nil
        guard case .failure(let none) = events.restore(record, owed: ["omni"]) else {
            Issue.record("no payload was restored")
            return
        }
        #expect(none.description.contains("was not kept (audit.payloads: none)"))
        record.payloadKept = nil
        record.erased = UnixTime(milliseconds: 1_764_836_000_000)
        record.erasedReason = "request #4711"
        guard case .failure(let erased) = events.restore(record, owed: ["omni"]) else {
            Issue.record("an erased payload was restored")
            return
        }
        #expect(erased.description == "its payload was erased at 2025-12-04T08:13:20.000Z (request #4711) and cannot be applied again")
    }
}
