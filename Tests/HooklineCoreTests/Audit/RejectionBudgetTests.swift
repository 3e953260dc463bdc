import HooklineCore
import Testing

@Suite("the budget for rejected lines")
struct RejectionBudgetTests {
    static let start = ContinuousClock.now
    static let wallClock = UnixTime(seconds: 1_795_000_000)
    static let badSignature = RejectionBudget.Key(source: "standard", reason: "no_matching_signature")
    static let unknown = RejectionBudget.Key(source: "unknown", reason: "unknown_source")

    static func admit(_ budget: inout RejectionBudget, _ key: RejectionBudget.Key, times: Int, at offset: Duration = .zero) -> (written: Int, ended: [RejectionBudget.Suppressed]) {
        var written = 0
        var ended: [RejectionBudget.Suppressed] = []
        for _ in 0..<times {
            let admission = budget.admit(key, status: 401, now: start + offset, wallClock: wallClock)
            if admission.write { written += 1 }
            ended += admission.ended
        }
        return (written, ended)
    }

    @Test("past lines_per_reason a source and reason only counts, and the window's end reports how many")
    func perReason() {
        var budget = RejectionBudget(limits: .init(linesPerReason: 20, linesTotal: 120, window: .seconds(60)))
        #expect(Self.admit(&budget, Self.badSignature, times: 25).written == 20)
        #expect(budget.endWindow(ifDueAt: Self.start + .seconds(59)) == [], "the window has not ended")
        let ended = budget.endWindow(ifDueAt: Self.start + .seconds(60))
        #expect(ended == [RejectionBudget.Suppressed(key: Self.badSignature, count: 5, status: 401, since: Self.wallClock)])
        #expect(budget.endWindow(ifDueAt: Self.start + .seconds(200)) == [], "each window is reported once")
    }

    @Test("one flooded reason does not use up another's lines, but lines_total caps them all")
    func total() {
        var budget = RejectionBudget(limits: .init(linesPerReason: 5, linesTotal: 8, window: .seconds(60)))
        #expect(Self.admit(&budget, Self.badSignature, times: 50).written == 5)
        #expect(Self.admit(&budget, Self.unknown, times: 50).written == 3)
        let ended = budget.endWindow(ifDueAt: Self.start + .seconds(60))
        #expect(ended.map(\.count) == [45, 47])
        #expect(ended.map(\.key) == [Self.badSignature, Self.unknown])
    }

    @Test("the first rejection after a window ends brings that window's summaries and opens a fresh budget")
    func rollover() {
        var budget = RejectionBudget(limits: .init(linesPerReason: 2, linesTotal: 10, window: .seconds(10)))
        #expect(Self.admit(&budget, Self.badSignature, times: 4).written == 2)
        let next = Self.admit(&budget, Self.badSignature, times: 3, at: .seconds(10))
        #expect(next.written == 2)
        #expect(next.ended.map(\.count) == [2])
    }

    @Test("zero lines per reason writes only summaries")
    func summariesOnly() {
        var budget = RejectionBudget(limits: .init(linesPerReason: 0, linesTotal: 120, window: .seconds(1)))
        #expect(Self.admit(&budget, Self.badSignature, times: 3).written == 0)
        #expect(budget.endWindow(ifDueAt: Self.start + .seconds(1)).map(\.count) == [3])
    }

    @Test("a summary is one rejected line: reason suppressed, the count, and a sentence naming the reason")
    func summaryLine() {
        let summary = RejectionBudget.Suppressed(key: Self.badSignature, count: 4213, status: 401, since: Self.wallClock)
        let line = String(decoding: summary.record(at: Self.wallClock + .seconds(60), limits: RejectionBudget.Limits()).jsonLine, as: UTF8.self)
        #expect(
            line
                == #"{"ts":"2026-11-18T11:07:40.000Z","outcome":"rejected","source":"standard","status":401,"count":4213,"reason":"suppressed","error":"4213 more rejected requests (no_matching_signature, HTTP 401) since 2026-11-18T11:06:40.000Z were not logged: each 1m at most 20 lines per source and reason, 120 in all, are written"}"#
                + "\n")
    }
}
