import HooklineCore
import Testing

@Suite("Plannr messages")
struct PlannrMessageDecoderTests {
    @Test("account.created: account in data, primary email and phone as contact details")
    func created() throws {
        let message = try #require(try Fixtures.decode("plannr/account-created.json").contactMessage)
        #expect(message.kind == .created)
        #expect(message.contactID == "2c39202f-a0a1-4c9b-b939-941eb5dc6c14")
        #expect(message.messageID == "4b0f7c8e-2f0a-4a59-9a52-8f1a1d0c6e21")
        let patch = try #require(message.contact.patch)
        #expect(patch.firstName == .set("Gareth"))
        #expect(patch.email == .set("gareth@codepotato.co.uk"))
        #expect(patch.mobilePhone == .set(PhoneNumber(number: "+443330903630", country: "GB")))
    }

    @Test("account.updated: account in data.account and a phone in the {country, number} form")
    func updatedForeignPhone() throws {
        let message = try #require(try Fixtures.decode("plannr/account-updated.json").contactMessage)
        #expect(message.kind == .updated)
        #expect(message.contactID == "73b5cb71-6779-40a9-9ddc-33b16ada4da6")
        let patch = try #require(message.contact.patch)
        #expect(patch.email == .set("gareth.thompson@codepotato.co.uk"))
        #expect(patch.mobilePhone == .set(PhoneNumber(number: "+61 2 3456 7890", country: "AU")))
    }

    @Test("plan.updated is ignored")
    func planIgnored() throws {
        #expect(try Fixtures.decode("plannr/plan-updated.json") == .ignored(type: "plan.updated", reason: "plan.updated is not an account event"))
    }

    @Test("a bare account body with the event in a header decodes; a work number is an office phone")
    func bareAccount() throws {
        let body = #"{"uuid":"u-1","first_name":"Ann","primary_phone_number":{"name":"Work phone number","value":"+44751488454"}}"#
        let decoded = try PlannrMessageDecoder().decode(bytes: Array(body.utf8), context: MessageContext(eventType: "account.updated"))
        let message = try #require(decoded.contactMessage)
        #expect(message.contactID == "u-1")
        #expect(message.messageID == nil)
        #expect(message.contact.patch?.officePhone == .set(PhoneNumber(number: "+44751488454")))
        #expect(message.contact.patch?.mobilePhone == nil)
    }

    @Test("the documentation's placeholder strings are not mistaken for values")
    func placeholders() throws {
        let body = #"{"event":"account.updated","data":{"uuid":"u-1","primary_email":"App\\Http\\Resources\\ContactDetailResource","primary_phone_number":"App\\Http\\Resources\\ContactDetailResource","email":"ann@example.com"}}"#
        let patch = try #require(try PlannrMessageDecoder().decode(bytes: Array(body.utf8), context: MessageContext()).contactMessage?.contact.patch)
        #expect(patch.email == .set("ann@example.com"))
        #expect(patch.mobilePhone == nil)
    }

    @Test("no event name and no account uuid are errors naming the field")
    func errors() {
        #expect(throws: MessageDecodeError(field: "event", problem: "required: no event name in event, type, event_type or topic")) {
            try PlannrMessageDecoder().decode(bytes: Array(#"{"data":{"uuid":"u"}}"#.utf8), context: MessageContext())
        }
        #expect(throws: MessageDecodeError(field: "data.uuid", problem: "required")) {
            try PlannrMessageDecoder().decode(bytes: Array(#"{"event":"account.updated","data":{"first_name":"A"}}"#.utf8), context: MessageContext())
        }
    }
}
