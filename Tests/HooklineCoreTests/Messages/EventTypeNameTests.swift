import HooklineCore
import Testing

@Suite("event type names: resource and action, in any case")
struct EventTypeNameTests {
    @Test("the resource is the part before the first dot, in any ASCII case")
    func resource() {
        #expect(EventTypeName.hasResource("contact", "contact.updated"))
        #expect(EventTypeName.hasResource("contact", "CONTACT.Update"))
        #expect(EventTypeName.hasResource("contact", "contact"))
        #expect(!EventTypeName.hasResource("contact", "contacts.updated"))
        #expect(!EventTypeName.hasResource("contact", "account.created"))
        #expect(!EventTypeName.hasResource("contact", ".contact"))
        #expect(!EventTypeName.hasResource("contact", "cöntact.updated"))
        #expect(EventTypeName.hasResource("account", "Account.Created"))
    }

    @Test("the action names a kind, or none", arguments: [
        ("contact.create", ContactEventKind?.some(.created)), ("contact.CREATED", .created), ("contact.update", .updated),
        ("contact.Updated", .updated), ("contact.delete", .deleted), ("contact.deleted", .deleted), ("contact.destroy", .deleted),
        ("contact.destroyed", .deleted), ("contact.merged", nil), ("contact.", nil), ("contact", nil), (".update", nil),
        ("contact.update.extra", nil), ("contact.updatE", .updated), ("contact.updated ", nil),
    ])
    func kind(type: String, expected: ContactEventKind?) {
        #expect(EventTypeName.kind(of: type) == expected)
    }
}
