import HooklineCore
import Testing

@Suite("the keys a store files routes and learned ids under")
struct StoreKeyTests {
    @Test("a route's key joins source and target with US, and reads back as source → target")
    func routeKey() {
        let route = Route(source: "buildr", target: "plannr")
        #expect(Array(route.storeKey.utf8) == Array("buildr".utf8) + [0x1F] + Array("plannr".utf8))
        #expect(Route.readable(storeKey: route.storeKey) == "buildr → plannr")
        // Names hold only letters, digits, - and _ (configuration refuses the rest): the key is unambiguous.
        #expect(Route(source: "a", target: "bc").storeKey != Route(source: "ab", target: "c").storeKey)
    }

    @Test("a learned id's slot joins target and key with US")
    func learnedSlot() {
        let slot = LearnedReference.slot(target: "plannr", key: "73b5cb71/email")
        #expect(Array(slot.utf8) == Array("plannr".utf8) + [0x1F] + Array("73b5cb71/email".utf8))
        #expect(slot != LearnedReference.slot(target: "plannr7", key: "3b5cb71/email"))
    }
}
