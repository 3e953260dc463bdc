import HooklineCore
import Testing

@Suite("standard messages")
struct StandardMessageDecoderTests {
    @Test("contact.created carries every canonical field")
    func created() throws {
        let message = try #require(try Fixtures.decode("standard/contact-created.json").contactMessage)
        #expect(message.kind == .created)
        #expect(message.contactID == "c_7f3a21")
        let patch = try #require(message.contact.patch)
        #expect(patch.firstName == .set("Priya"))
        #expect(patch.additionalEmails == .set(["priya@raman-architects.example"]))
        #expect(patch.mobilePhone == .set(PhoneNumber(number: "+44 7700 900123", country: "GB")))
        #expect(patch.officePhone == .set(PhoneNumber(number: "+61 2 9876 5432", country: "AU")))
        #expect(patch.otherPhones == nil)
        #expect(patch.companyName == .set("Raman Architects"))
        #expect(patch.language == .set("en"))
        #expect(patch.externalReferences == ["buildr": "2279"])
        #expect(patch.lookup(path: "custom_fields.plannr_account_uuid") == "73b5cb71-6779-40a9-9ddc-33b16ada4da6")
    }

    @Test("an update sets only the fields present")
    func updated() throws {
        let patch = try #require(try Fixtures.decode("standard/contact-updated.json").contactMessage?.contact.patch)
        #expect(patch.email == .set("priya.raman@raman-architects.example"))
        #expect(patch.jobTitle == .set("Managing Principal"))
        #expect(patch.firstName == nil)
        #expect(patch.mobilePhone == nil)
    }

    @Test("nulls clear fields; a numeric id is read as its digits")
    func clears() throws {
        let message = try #require(try Fixtures.decode("standard/contact-updated-clears.json").contactMessage)
        #expect(message.contactID == "48213")
        let patch = try #require(message.contact.patch)
        #expect(patch.jobTitle == .clear)
        #expect(patch.linkedInURL == .clear)
        #expect(patch.officePhone == .clear)
        #expect(patch.mobilePhone == nil)
    }

    @Test("contact.deleted decodes as a delete")
    func deleted() throws {
        #expect(try Fixtures.decode("standard/contact-deleted.json").contactMessage?.kind == .deleted)
    }

    @Test("the message id comes from the transport first, else the body's id")
    func messageID() throws {
        let body = Array(#"{"id":"evt_body","type":"contact.updated","data":{"id":"c1"}}"#.utf8)
        #expect(try StandardMessageDecoder().decode(bytes: body, context: MessageContext(messageID: "msg_header")).contactMessage?.messageID == "msg_header")
        #expect(try StandardMessageDecoder().decode(bytes: body, context: MessageContext()).contactMessage?.messageID == "evt_body")
    }

    @Test(
        "invalid fixtures answer with an error naming the problem",
        arguments: [
            ("invalid/wrong-type-email.json", "data.email: expected a string or null, got a number"),
            ("invalid/missing-contact-id.json", "data.id: required"),
            ("invalid/not-an-object.json", "expected a JSON object, got an array"),
            ("invalid/truncated.json", "malformed JSON at byte 93: unterminated string"),
            ("invalid/garbage.bin", "malformed JSON at byte 0: unexpected byte 0x89, expected a value"),
            ("invalid/too-deeply-nested.json", "malformed JSON at byte 130: nested deeper than 64 levels"),
            ("invalid/invalid-utf8.json", "malformed JSON at byte 64: the string starting here is not valid UTF-8"),
        ])
    func invalid(path: String, message: String) throws {
        #expect(throws: MessageDecodeError.self) { try Fixtures.decode(path, as: "standard") }
        do {
            _ = try Fixtures.decode(path, as: "standard")
        } catch let error as MessageDecodeError {
            #expect(error.description == message)
        }
    }

    @Test("an unknown event type is ignored, not an error")
    func unknownEvent() throws {
        #expect(try Fixtures.decode("invalid/unknown-event.json", as: "standard") == .ignored(type: "contact.merged", reason: "contact.merged is not a create, update or delete"))
    }

    @Test("huge values decode (the body limit, not the decoder, bounds them)")
    func hugeValues() throws {
        let patch = try #require(try Fixtures.decode("invalid/huge-values.json", as: "standard").contactMessage?.contact.patch)
        #expect(patch.firstName?.value?.count == 200_000)
    }

    @Test("a phone kind outside mobile, office, other names the element")
    func badPhoneKind() {
        #expect(throws: MessageDecodeError(field: "data.phones[1].kind", problem: "expected mobile, office or other, got \"fax\"")) {
            try StandardMessageDecoder().decode(
                bytes: Array(#"{"type":"contact.updated","data":{"id":"c1","phones":[{"kind":"mobile","number":"1"},{"kind":"fax","number":"2"}]}}"#.utf8),
                context: MessageContext())
        }
    }

    @Test("every valid fixture decodes without error")
    func everyFixture() throws {
        for folder in ["buildr", "plannr", "standard"] {
            for path in try Fixtures.paths(in: folder) {
                #expect(throws: Never.self, "\(path)") { try Fixtures.decode(path) }
            }
        }
    }

    static func decode(_ body: String, messageID: String? = nil) throws(MessageDecodeError) -> DecodedMessage {
        try StandardMessageDecoder().decode(bytes: Array(body.utf8), context: MessageContext(messageID: messageID))
    }

    @Test("ids, event types and message ids over 256 bytes are a 400 naming the field; 256 bytes is fine")
    func lengthLimits() throws {
        let huge = String(repeating: "x", count: 3_900_000)
        #expect(throws: MessageDecodeError(field: "data.id", problem: "an id may be at most 256 bytes; this one is 3900000")) {
            try Self.decode(#"{"type":"contact.updated","data":{"id":"\#(huge)"}}"#)
        }
        #expect(throws: MessageDecodeError(field: "data.external_references.buildr", problem: "an id may be at most 256 bytes; this one is 257")) {
            try Self.decode(#"{"type":"contact.updated","data":{"id":"c1","external_references":{"buildr":"\#(String(repeating: "9", count: 257))"}}}"#)
        }
        #expect(throws: MessageDecodeError(field: "type", problem: "an event type may be at most 256 bytes; this one is 300")) {
            try Self.decode(#"{"type":"contact.\#(String(repeating: "u", count: 292))","data":{"id":"c1"}}"#)
        }
        #expect(throws: MessageDecodeError(field: "message id", problem: "a message id may be at most 256 bytes; this one is 1000")) {
            try Self.decode(#"{"type":"contact.updated","data":{"id":"c1"}}"#, messageID: String(repeating: "m", count: 1000))
        }
        let longest = String(repeating: "y", count: 256)
        #expect(try Self.decode(#"{"type":"contact.updated","data":{"id":"\#(longest)"}}"#).contactMessage?.contactID == longest)
    }

    @Test("a body that repeats type is refused, not resolved")
    func duplicateType() {
        #expect(throws: MessageDecodeError.self) {
            try Self.decode(#"{"type":"contact.updated","data":{"id":"c1"},"type":"contact.deleted"}"#)
        }
    }
}
