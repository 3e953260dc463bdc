import HooklineCore
import Testing

/// The alert rules at fixed instants: each fires on a change of state, once, and clears once.
@Suite("alert rules")
struct AlertBookTests {
    static let t0 = MonotonicTime(nanoseconds: 1_000_000_000_000)

    static func at(_ seconds: Double) -> MonotonicTime { t0 + .milliseconds(Int64(seconds * 1000)) }

    static func book(_ conditions: AlertRule.Condition..., repeatEvery: Duration? = nil) -> AlertBook {
        AlertBook(rules: conditions.map { AlertRule(name: $0.when, condition: $0, to: ["ops"], repeatEvery: repeatEvery) })
    }

    @Test("consecutive failures warn at warn_at, pause at pause_at, say nothing in between, and recover on the next success")
    func consecutiveFailures() {
        var book = Self.book(.consecutiveFailures(target: .all, warnAt: 3, pauseAt: 5))
        var sent: [Alert] = []
        for attempt in 1...5 { sent += book.attempt(at: "plannr", succeeded: false, now: Self.at(Double(attempt))) }
        #expect(sent.map(\.state) == [.warning, .firing])
        #expect(sent[0].figures["consecutive_failures"] == "3" && sent[0].pause == nil)
        #expect(sent[1].figures["consecutive_failures"] == "5" && sent[1].pause == "plannr")
        #expect(sent[1].since == Self.at(3), "the alert began with the warning")
        #expect(book.attempt(at: "buildr", succeeded: false, now: Self.at(6)).isEmpty, "another target keeps its own count")
        #expect(book.attempt(at: "plannr", succeeded: false, now: Self.at(7)).isEmpty, "still firing: not sent again")

        let recovered = book.attempt(at: "plannr", succeeded: true, now: Self.at(8))
        #expect(recovered.map(\.state) == [.recovered])
        #expect(recovered.first?.subject == "plannr" && recovered.first?.since == Self.at(3))
        #expect(book.attempt(at: "plannr", succeeded: true, now: Self.at(9)).isEmpty, "recovered once")
    }

    @Test("a target resumed after a pause and failing as long again is paused again")
    func pausedAgain() {
        var book = Self.book(.consecutiveFailures(target: .named("plannr"), warnAt: 2, pauseAt: 4))
        var pauses: [String] = []
        for attempt in 1...8 {
            pauses += book.attempt(at: "plannr", succeeded: false, now: Self.at(Double(attempt))).compactMap(\.pause)
        }
        #expect(pauses == ["plannr", "plannr"])
        #expect(book.attempt(at: "buildr", succeeded: false, now: Self.at(9)).isEmpty, "the rule watches plannr only")
    }

    @Test("a failure rate fires above its threshold once enough attempts were made, not on a few failures, and clears as the window moves on")
    func failureRate() {
        var book = Self.book(.failureRate(target: .all, above: 0.2, over: .seconds(600), minAttempts: 20))
        // Three failures in a row, but only three attempts: not enough to judge.
        var sent: [Alert] = []
        for second in 0..<3 { sent += book.attempt(at: "plannr", succeeded: false, now: Self.at(Double(second))) }
        #expect(sent.isEmpty, "a few failures are not a rate")
        // 20 attempts, 3 of them failed: 15 % is under 20 %.
        for second in 3..<20 { sent += book.attempt(at: "plannr", succeeded: true, now: Self.at(Double(second))) }
        #expect(sent.isEmpty)
        // Two more failures: 5 of 22 is 23 %.
        sent += book.attempt(at: "plannr", succeeded: false, now: Self.at(20))
        #expect(sent.isEmpty, "4 of 21 is 19 %")
        sent += book.attempt(at: "plannr", succeeded: false, now: Self.at(21))
        #expect(sent.map(\.state) == [.firing])
        #expect(sent.first?.figures == ["attempts": "22", "failures": "5", "failure_rate": "0.23"])
        #expect(book.open.map(\.subject) == ["plannr"])

        // Ten minutes later the window holds nothing: it clears without a new attempt.
        let later = book.tick(now: Self.at(21 + 600))
        #expect(later.map(\.state) == [.recovered])
        #expect(book.open.isEmpty)
    }

    @Test("signature failures over a window fire above the count and clear when the window empties")
    func signatureFailures() {
        var book = Self.book(.signatureFailures(source: .named("standard"), above: 3, over: .seconds(300)))
        var sent: [Alert] = []
        for second in 0..<4 { sent += book.signatureFailure(at: "standard", now: Self.at(Double(second))) }
        #expect(sent.map(\.state) == [.firing])
        #expect(sent.first?.subjectKind == "source" && sent.first?.figures["signature_failures"] == "4")
        #expect(book.signatureFailure(at: "buildr", now: Self.at(5)).isEmpty, "another source is not watched")
        #expect(book.tick(now: Self.at(100)).isEmpty, "still inside the window")
        #expect(book.tick(now: Self.at(400)).map(\.state) == [.recovered])
    }

    @Test("a dead letter fires once per target until the target applies an event again")
    func deadLetter() {
        var book = Self.book(.deadLetter(target: .all))
        #expect(book.deadLetter(at: "plannr", event: "evt_1", now: Self.at(1)).map(\.figures) == [["event": "evt_1"]])
        #expect(book.deadLetter(at: "plannr", event: "evt_2", now: Self.at(2)).isEmpty)
        #expect(book.deadLetter(at: "buildr", event: "evt_3", now: Self.at(3)).count == 1)
        #expect(book.attempt(at: "plannr", succeeded: false, now: Self.at(4)).isEmpty, "a failure does not clear it")
        #expect(book.attempt(at: "plannr", succeeded: true, now: Self.at(5)).map(\.state) == [.recovered])
        #expect(book.open.map(\.subject) == ["buildr"])
    }

    @Test("the oldest waiting job fires past its bound, since when it began waiting, and clears when the wait is short again")
    func oldestWaiting() {
        var book = Self.book(.oldestWaiting(target: .all, above: .seconds(900)))
        #expect(book.oldestWaiting(at: "plannr", waited: .seconds(600), now: Self.at(1000)).isEmpty)
        let fired = book.oldestWaiting(at: "plannr", waited: .seconds(960), now: Self.at(1060))
        #expect(fired.map(\.state) == [.firing])
        #expect(fired.first?.since == Self.at(100) && fired.first?.figures["oldest_waiting_seconds"] == "960")
        #expect(book.oldestWaiting(at: "plannr", waited: .seconds(1000), now: Self.at(1100)).isEmpty)
        #expect(book.oldestWaiting(at: "plannr", waited: .zero, now: Self.at(1200)).map(\.state) == [.recovered])
    }

    @Test("repeat_every sends a firing alert again at its interval, marked as a repeat; without it, never")
    func repeats() {
        var repeating = Self.book(.deadLetter(target: .all), repeatEvery: .seconds(3600))
        var once = Self.book(.deadLetter(target: .all))
        _ = repeating.deadLetter(at: "plannr", event: "evt_1", now: Self.at(0))
        _ = once.deadLetter(at: "plannr", event: "evt_1", now: Self.at(0))
        #expect(repeating.tick(now: Self.at(3599)).isEmpty)
        let again = repeating.tick(now: Self.at(3600))
        #expect(again.count == 1 && again[0].repeated && again[0].state == .firing && again[0].since == Self.at(0))
        #expect(repeating.tick(now: Self.at(3601)).isEmpty, "the next repeat is an interval later")
        #expect(once.tick(now: Self.at(7200)).isEmpty)
    }

    @Test("a sliding count forgets what fell out of its window, bucket by bucket, and holds 60 buckets whatever arrives")
    func windowCount() {
        var window = WindowCount(over: .seconds(60))
        for second in 0..<120 { window.add(marked: second % 4 == 0, now: Self.at(Double(second))) }
        let (total, marked) = window.counts(now: Self.at(119))
        #expect(total == 60 && marked == 15, "the last 60 one-second buckets: \(total), \(marked)")
        #expect(window.counts(now: Self.at(150)).total == 29)
        #expect(window.counts(now: Self.at(500)).total == 0)
    }

    @Test("rates print with two decimals")
    func format() {
        #expect(AlertBook.format(0.2345) == "0.23")
        #expect(AlertBook.format(0.05) == "0.05")
        #expect(AlertBook.format(1) == "1.00")
    }
}
