import HooklineCore
import Testing

@Suite("dedup window")
struct DedupWindowTests {
    static let t0 = UnixTime(seconds: 1_700_000_000)

    func key(_ id: String) -> MessageKey { MessageKey(source: "standard", messageID: id) }

    @Test("a message id is remembered, pending until committed")
    func remembers() {
        var window = DedupWindow(maximumEntries: 10, maximumAge: .seconds(60))
        window.insert(key("k"), eventID: "e1", seenAt: Self.t0)
        let pending = window.lookup(key("k"), now: Self.t0)
        #expect(pending?.committed == false)
        window.commit(key("k"))
        let committed = window.lookup(key("k"), now: Self.t0)
        #expect(committed == DedupWindow.Entry(eventID: "e1", seenAt: Self.t0, committed: true))
    }

    @Test("entries leave the window by age and by count")
    func bounds() {
        var window = DedupWindow(maximumEntries: 2, maximumAge: .seconds(60))
        window.insert(key("a"), eventID: "e1", seenAt: Self.t0)
        window.insert(key("b"), eventID: "e2", seenAt: Self.t0)
        window.insert(key("c"), eventID: "e3", seenAt: Self.t0)
        let a = window.lookup(key("a"), now: Self.t0)
        let b = window.lookup(key("b"), now: Self.t0)
        let c = window.lookup(key("c"), now: Self.t0 + .seconds(61))
        #expect(a == nil && b != nil && c == nil)
        #expect(window.count == 0)
    }

    @Test("a removed key is forgotten, and its old slot does not evict a newer insert")
    func removeAndReinsert() {
        var window = DedupWindow(maximumEntries: 5, maximumAge: .seconds(60))
        window.insert(key("a"), eventID: "e1", seenAt: Self.t0)
        window.remove(key("a"))
        let removed = window.lookup(key("a"), now: Self.t0)
        #expect(removed == nil)
        window.insert(key("a"), eventID: "e2", seenAt: Self.t0 + .seconds(30))
        let reinserted = window.lookup(key("a"), now: Self.t0 + .seconds(61))
        #expect(reinserted?.eventID == "e2")
    }

    @Test("a key inserted again replaces its entry, and the older insert leaving the window does not take it along")
    func insertAgain() {
        var window = DedupWindow(maximumEntries: 3, maximumAge: .seconds(60))
        window.insert(key("a"), eventID: "e1", seenAt: Self.t0)
        window.insert(key("a"), eventID: "e2", seenAt: Self.t0)
        window.insert(key("b"), eventID: "e3", seenAt: Self.t0)
        window.insert(key("c"), eventID: "e4", seenAt: Self.t0)  // the first insert of "a" leaves
        let a = window.lookup(key("a"), now: Self.t0)
        #expect(a?.eventID == "e2")
        #expect(window.count == 3)
    }

    @Test("a copy of the window is its own: inserts and removals in one do not show in the other")
    func copies() {
        var window = DedupWindow(maximumEntries: 10, maximumAge: .seconds(60))
        window.insert(key("a"), eventID: "e1", seenAt: Self.t0)
        var copy = window
        copy.insert(key("b"), eventID: "e2", seenAt: Self.t0)
        copy.remove(key("a"))
        let a = window.lookup(key("a"), now: Self.t0)
        let b = window.lookup(key("b"), now: Self.t0)
        #expect(a?.eventID == "e1" && b == nil)
        #expect(copy.count == 1 && window.count == 1)
    }

    @Test("random inserts, commits, removals and lookups agree with a plain model of the window", arguments: [1, 2, 3, 7, 64])
    func agreesWithModel(maximumEntries: Int) {
        var random = SeededGenerator(seed: UInt64(maximumEntries))
        for prepared in [1, 2, maximumEntries] {
            var window = DedupWindow(maximumEntries: maximumEntries, maximumAge: .seconds(10), preparedSlots: prepared)
            var model = ModelWindow(maximumEntries: maximumEntries, maximumAge: .seconds(10))
            var now = Self.t0
            for step in 0..<20_000 {
                // Time mostly moves on a little, sometimes past the window, sometimes back (two loops' clocks).
                switch random.next() % 20 {
                case 0: now = now + .seconds(11)
                case 1: now = now - .milliseconds(500)
                default: now = now + .milliseconds(Int64(random.next() % 300))
                }
                let key = key("k\(random.next() % UInt64(2 * maximumEntries + 3))")
                switch random.next() % 4 {
                case 0:
                    window.insert(key, eventID: "e\(step)", seenAt: now)
                    model.insert(key, eventID: "e\(step)", seenAt: now)
                case 1:
                    window.commit(key)
                    model.commit(key)
                case 2:
                    window.remove(key)
                    model.remove(key)
                default:
                    let found = window.lookup(key, now: now)
                    let expected = model.lookup(key, now: now)
                    #expect(found == expected, "step \(step): \(key)")
                }
                #expect(window.count == model.count, "step \(step)")
            }
        }
    }
}

/// The window's rules written as plainly as possible: a list of inserts, oldest first.
private struct ModelWindow {
    var maximumEntries: Int
    var maximumAge: Duration
    var inserts: [(key: MessageKey, entry: DedupWindow.Entry, live: Bool)] = []

    var count: Int { inserts.count { $0.live } }

    mutating func evict(now: UnixTime) {
        while let first = inserts.first, inserts.count > maximumEntries || first.entry.seenAt < now - maximumAge { inserts.removeFirst() }
    }

    mutating func lookup(_ key: MessageKey, now: UnixTime) -> DedupWindow.Entry? {
        evict(now: now)
        return inserts.last { $0.live && $0.key == key }?.entry
    }

    mutating func insert(_ key: MessageKey, eventID: String, seenAt: UnixTime) {
        remove(key)
        while inserts.count >= maximumEntries { inserts.removeFirst() }
        inserts.append((key, DedupWindow.Entry(eventID: eventID, seenAt: seenAt, committed: false), true))
        evict(now: seenAt)
    }

    mutating func commit(_ key: MessageKey) {
        if let index = inserts.lastIndex(where: { $0.live && $0.key == key }) { inserts[index].entry.committed = true }
    }

    mutating func remove(_ key: MessageKey) {
        if let index = inserts.lastIndex(where: { $0.live && $0.key == key }) { inserts[index].live = false }
    }
}
