import HooklineCore
import Testing

@Suite("target health")
struct TargetHealthBookTests {
    static let now = UnixTime(milliseconds: 1_796_000_000_000)

    @Test("the last hour and day count applied and ended jobs; older ones drop out; the last success is kept")
    func windows() {
        var book = TargetHealthBook()
        book.record(target: "plannr", outcome: .applied, at: Self.now - .seconds(30))
        book.record(target: "plannr", outcome: .dead, at: Self.now - .seconds(90))
        book.record(target: "plannr", outcome: .failed, at: Self.now - .seconds(2 * 3600))
        book.record(target: "plannr", outcome: .applied, at: Self.now - .seconds(5 * 3600))
        book.record(target: "plannr", outcome: .applied, at: Self.now - .seconds(25 * 3600))
        book.record(target: "plannr", outcome: .retry, at: Self.now)
        book.record(target: "plannr", outcome: .skipped, at: Self.now)
        let health = book.health(of: "plannr", now: Self.now)
        #expect(health.hour == TargetHealth.Window(applied: 1, ended: 2))
        #expect(health.day == TargetHealth.Window(applied: 2, ended: 4))
        #expect(health.hour.successRate == 0.5)
        #expect(health.lastApplied == Self.now - .seconds(30))
        #expect(book.health(of: "nobody", now: Self.now) == TargetHealth())
        #expect(TargetHealth.Window().successRate == nil)
        // A day later, everything has aged out of both windows.
        let later = book.health(of: "plannr", now: Self.now + .seconds(86_400))
        #expect(later.day.ended == 0 && later.lastApplied == Self.now - .seconds(30))
    }

    @Test("merging a count of older records adds to the same minutes and keeps the latest success")
    func merging() {
        var live = TargetHealthBook()
        live.record(target: "t", outcome: .applied, at: Self.now)
        var read = TargetHealthBook()
        read.record(target: "t", outcome: .dead, at: Self.now - .seconds(10))
        read.record(target: "t", outcome: .applied, at: Self.now - .seconds(4000))
        read.record(target: "u", outcome: .failed, at: Self.now - .seconds(100))
        live.merge(read)
        #expect(live.health(of: "t", now: Self.now).day == TargetHealth.Window(applied: 2, ended: 3))
        #expect(live.health(of: "t", now: Self.now).lastApplied == Self.now)
        #expect(live.targets.sorted() == ["t", "u"])
    }

    @Test("a bucket a day old is reused for the new minute, not added to")
    func reuse() {
        var book = TargetHealthBook()
        book.record(target: "t", outcome: .dead, at: Self.now - .seconds(86_400))
        book.record(target: "t", outcome: .applied, at: Self.now)
        #expect(book.health(of: "t", now: Self.now).day == TargetHealth.Window(applied: 1, ended: 1))
        // A late record for the older minute does not overwrite the newer one.
        book.record(target: "t", outcome: .dead, at: Self.now - .seconds(86_400))
        #expect(book.health(of: "t", now: Self.now).day == TargetHealth.Window(applied: 1, ended: 1))
    }
}
