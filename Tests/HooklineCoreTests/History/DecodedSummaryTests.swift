import HooklineCore
import Testing

@Suite("what a message became, in names")
struct DecodedSummaryTests {
    @Test("a patch lists the fields it sets and clears, never their values; a reference says it is fetched")
    func names() throws {
        var patch = ContactPatch()
        patch.firstName = .set("Priya")
        patch.email = .clear
        patch.externalReferences = ["buildr": "2279"]
        patch.customFields = ["tier": .set("gold")]
        let message = ContactMessage(messageID: "m", type: "contact.updated", kind: .updated, contactID: "c_1", contact: .patch(patch))
        let text = DecodedSummary.describe(message)
        #expect(text == "updated of contact c_1: first_name, email (cleared), external_references.buildr, custom_fields.tier")
        #expect(!text.contains("Priya") && !text.contains("gold") && !text.contains("2279"))
        let thin = ContactMessage(messageID: "m", type: "contact.update", kind: .updated, contactID: "144", contact: .reference(ContactReference(id: "144")))
        #expect(DecodedSummary.describe(thin) == "updated of contact 144: a reference to contact 144, fetched from its source when applied")
    }
}
