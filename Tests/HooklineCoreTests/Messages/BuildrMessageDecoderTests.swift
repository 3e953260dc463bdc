import HooklineCore
import Testing

@Suite("Buildr messages")
struct BuildrMessageDecoderTests {
    @Test("the documented thin delivery is a reference to fetch; its numeric id is the contact's, not a message id")
    func thinNumericID() throws {
        let message = try #require(try Fixtures.decode("buildr/contact-update-thin.json").contactMessage)
        #expect(message.contactID == "144")
        #expect(message.messageID == nil)
        #expect(message.type == "contact.update")
        #expect(message.kind == .updated)
        #expect(message.contact == .reference(ContactReference(id: "144", url: "https://api.buildr.com/api/2023-01/contacts/144")))
    }

    @Test("a thin delivery with a string id and an event field")
    func thinStringID() throws {
        let message = try #require(try Fixtures.decode("buildr/contact-create-thin.json").contactMessage)
        #expect(message.contactID == "2279")
        #expect(message.kind == .created)
        #expect(message.type == "contact.create")
    }

    @Test("a thin delivery takes its event from the configured header and its message id from the transport")
    func thinHeaderType() throws {
        let context = MessageContext(messageID: "delivery-77", eventType: "contact.create")
        let message = try #require(try Fixtures.decode("buildr/contact-update-thin.json", context: context).contactMessage)
        #expect(message.kind == .created)
        #expect(message.messageID == "delivery-77")
    }

    @Test("the documented opportunity delivery is ignored, not an error")
    func opportunityIgnored() throws {
        #expect(try Fixtures.decode("buildr/opportunity-thin.json") == .ignored(type: "contact.update", reason: "a Buildr opportunity is not a contact"))
    }

    @Test("project.update is ignored")
    func projectIgnored() throws {
        #expect(try Fixtures.decode("buildr/project-update.json") == .ignored(type: "project.update", reason: "project.update is not a contact event"))
    }

    @Test("a full delivery carries the contact as a patch with the seed's fields")
    func fullUpdate() throws {
        let message = try #require(try Fixtures.decode("buildr/contact-update-full.json").contactMessage)
        #expect(message.messageID == "whmsg_01JD4Q7T9M3K2B5X8R6N0C1V7Z")
        #expect(message.contactID == "144")
        #expect(message.kind == .updated)
        let patch = try #require(message.contact.patch)
        #expect(patch.email == .set("austin.reaves@example.com"))
        #expect(patch.firstName == .set("Austin"))
        #expect(patch.lastName == .set("Reaves"))
        #expect(patch.jobTitle == .set("Point Guard"))
        #expect(patch.mobilePhone == .set(PhoneNumber(number: "555-555-5555")))
        #expect(patch.officePhone == .set(PhoneNumber(number: "555-555-5555 x301")))
        #expect(patch.linkedInURL == .set("https://www.linkedin.com/in/john-doe"))
        #expect(patch.companyID == .set("753"))
        #expect(patch.companyName == .set("Lakeshow Construction"))
        #expect(patch.assignedToID == .set("953"))
        #expect(patch.lookup(path: "custom_fields.plannr_account_uuid") == "73b5cb71-6779-40a9-9ddc-33b16ada4da6")
    }

    @Test("a full create with a numeric contact id and nulls that clear fields")
    func fullCreate() throws {
        let message = try #require(try Fixtures.decode("buildr/contact-create-full.json").contactMessage)
        #expect(message.contactID == "2291")
        #expect(message.kind == .created)
        let patch = try #require(message.contact.patch)
        #expect(patch.officePhone == .clear)
        #expect(patch.linkedInURL == .clear)
        #expect(patch.assignedToID == .clear)
        #expect(patch.secondLastName == nil)
    }

    @Test("wrong types name the field")
    func wrongTypes() throws {
        let decoder = BuildrMessageDecoder()
        #expect(throws: MessageDecodeError(field: "id", problem: "expected a string or an integer id, got a boolean")) {
            try decoder.decode(bytes: Array(#"{"id": true, "url": "x"}"#.utf8), context: MessageContext())
        }
        #expect(throws: MessageDecodeError(field: "data.contact.email", problem: "expected a string or null, got a number")) {
            try decoder.decode(bytes: Array(#"{"type":"contact.update","data":{"contact":{"id":"1","email":5}}}"#.utf8), context: MessageContext())
        }
        #expect(throws: MessageDecodeError(field: "id", problem: "required")) {
            try decoder.decode(bytes: Array(#"{"url": "https://api.buildr.com/api/2023-01/contacts/1"}"#.utf8), context: MessageContext())
        }
        #expect(throws: MessageDecodeError(field: "data.contact.id", problem: "required")) {
            try decoder.decode(bytes: Array(#"{"type":"contact.update","data":{"contact":{"email":"a@b.c"}}}"#.utf8), context: MessageContext())
        }
    }

    @Test("a Buildr GET response maps onto the same patch as a webhook contact")
    func getResponse() throws {
        let client = BuildrContactsClient(
            settings: TargetSettings(name: "buildr", kind: .buildr, baseURL: "https://api.buildr.com/api/2023-01", options: [:]))
        let body = #"{"contact":{"id":"144","email":"a@example.com","company":{"id":"101","name":"X"},"assigned_to":{"id":"953"}}}"#
        let patch = try client.patch(fromFetched: TargetResponse(status: 200, body: Array(body.utf8)))
        #expect(patch.email == .set("a@example.com"))
        #expect(patch.companyID == .set("101"))
        #expect(patch.assignedToID == .set("953"))
        #expect(throws: MessageDecodeError(field: "contact", problem: "Buildr's answer has no contact object")) {
            try client.patch(fromFetched: TargetResponse(status: 200, body: Array(#"{"contact":[1]}"#.utf8)))
        }
    }
}
