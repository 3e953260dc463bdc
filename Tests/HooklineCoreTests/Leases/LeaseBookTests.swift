import HooklineCore
import Testing

@Suite("the lease rules a worker follows before it calls a target")
struct LeaseBookTests {
    static let t0 = MonotonicTime(nanoseconds: 1_000_000_000_000)
    static let terms = LeaseTerms(lease: .seconds(30))
    static let lane = LaneClaim(lane: "omnichannel/standard:144", token: 7)

    @Test("a call may start only with more than its timeout plus the margin left, counted from when the claim was sent")
    func permissionNeedsTimeoutAndMargin() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        #expect(book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0) == .granted)
        #expect(book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .milliseconds(18_999)) == .granted)
        #expect(
            book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .seconds(19)) == .expiring(left: .seconds(11), needed: .seconds(11)),
            "exactly timeout + margin left is not enough")
        #expect(book.permission(Self.lane, callTimeout: .seconds(2), now: Self.t0 + .seconds(19)) == .granted, "a shorter call still fits")
        #expect(book.permission(Self.lane, callTimeout: .zero, now: Self.t0 + .seconds(31)) == .expiring(left: .seconds(-1), needed: .seconds(1)))
    }

    @Test("a write covers its call while the lease left is at least the call's timeout; a write after a stall that ate the margin, or under a lost claim, does not")
    func writeCoveredByLease() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        // Permitted with more than 11 s left (until t0 + 19 s), a write of a 10 s call is covered until 20 s.
        #expect(book.covers(Self.lane, callTimeout: .seconds(10), writtenAt: Self.t0 + .milliseconds(18_999)))
        #expect(book.covers(Self.lane, callTimeout: .seconds(10), writtenAt: Self.t0 + .seconds(20)), "exactly the timeout left: answered or abandoned as the lease ends")
        #expect(!book.covers(Self.lane, callTimeout: .seconds(10), writtenAt: Self.t0 + .milliseconds(20_001)))
        #expect(!book.covers(Self.lane, callTimeout: .seconds(1), writtenAt: Self.t0 + .seconds(45)), "a stall past the lease")
        #expect(!book.covers(LaneClaim(lane: Self.lane.lane, token: 8), callTimeout: .seconds(1), writtenAt: Self.t0), "a claim taken over")
    }

    @Test("a claim this book does not hold, or holds under another token, grants nothing")
    func unknownClaimsAreLost() {
        var book = LeaseBook(terms: Self.terms)
        #expect(book.permission(Self.lane, callTimeout: .seconds(1), now: Self.t0) == .lost)
        book.claimed(Self.lane, sentAt: Self.t0)
        #expect(book.permission(LaneClaim(lane: Self.lane.lane, token: 6), callTimeout: .seconds(1), now: Self.t0) == .lost)
    }

    @Test("the lane claimed again by this instance (after an outage) makes the old claim's calls lost, and ending the old claim keeps the new one")
    func reclaimedByItself() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        #expect(book.handOut(Self.lane, callTimeout: .seconds(10), now: Self.t0) == .granted)
        let again = LaneClaim(lane: Self.lane.lane, token: 9)
        book.claimed(again, sentAt: Self.t0 + .seconds(40))
        #expect(book.permission(Self.lane, callTimeout: .seconds(1), now: Self.t0 + .seconds(41)) == .lost)
        book.ended(Self.lane)
        #expect(book.permission(again, callTimeout: .seconds(1), now: Self.t0 + .seconds(41)) == .granted)
        #expect(book.claims == [again])
    }

    @Test("a renewal extends each confirmed claim to a lease from when it was sent, and never shortens one")
    func renewalExtendsFromItsSending() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        let renewal = book.renewed(asked: [Self.lane], confirmed: [Self.lane], sentAt: Self.t0 + .seconds(7))
        #expect(renewal == LeaseRenewal())
        #expect(book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .milliseconds(25_999)) == .granted)
        #expect(book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .seconds(26)) != .granted)
        // An older renewal answered late (sent before the one above) changes nothing.
        _ = book.renewed(asked: [Self.lane], confirmed: [Self.lane], sentAt: Self.t0 + .seconds(1))
        #expect(book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .milliseconds(25_999)) == .granted)
    }

    @Test("a claim missing from a renewal's answer is lost: no call starts under it, and a claim ahead of the workers is dropped")
    func renewalFindsLostClaims() {
        var book = LeaseBook(terms: Self.terms)
        let inHand = LaneClaim(lane: "a", token: 1), ahead = LaneClaim(lane: "b", token: 2), kept = LaneClaim(lane: "c", token: 3)
        for claim in [inHand, ahead, kept] { book.claimed(claim, sentAt: Self.t0) }
        #expect(book.handOut(inHand, callTimeout: .seconds(5), now: Self.t0) == .granted)
        let renewal = book.renewed(asked: [inHand, ahead, kept], confirmed: [kept], sentAt: Self.t0 + .seconds(5))
        #expect(renewal.lost == [inHand, ahead])
        #expect(renewal.lostAhead == [ahead])
        #expect(book.permission(inHand, callTimeout: .seconds(1), now: Self.t0 + .seconds(6)) == .lost)
        #expect(book.claims == [kept])
    }

    @Test("a renewal's answer about a claim that ended or was claimed again meanwhile is ignored")
    func staleRenewalAnswers() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        let asked = book.claims
        book.ended(Self.lane)
        let again = LaneClaim(lane: Self.lane.lane, token: 8)
        book.claimed(again, sentAt: Self.t0 + .seconds(2))
        let renewal = book.renewed(asked: asked, confirmed: [], sentAt: Self.t0 + .seconds(1))
        #expect(renewal == LeaseRenewal(), "the old claim is not reported lost again")
        #expect(book.holds(again))
    }

    @Test("a renewal that finds a claim gone while its job's finish or park was being committed reports no takeover; the claim is not renewed again")
    func endedByItsOwnCommit() {
        var book = LeaseBook(terms: Self.terms)
        let finishing = LaneClaim(lane: "a", token: 1), taken = LaneClaim(lane: "b", token: 2)
        for claim in [finishing, taken] {
            book.claimed(claim, sentAt: Self.t0)
            #expect(book.handOut(claim, callTimeout: .seconds(5), now: Self.t0) == .granted)
        }
        // The finish of lane a's job commits (the store deletes the lane) and a renewal asked for
        // both reaches the store before the finish's answer is back here; lane b was taken over.
        book.ending(finishing)
        let renewal = book.renewed(asked: [finishing, taken], confirmed: [], sentAt: Self.t0 + .seconds(5))
        #expect(renewal == LeaseRenewal(lost: [taken]), "only the claim whose job was not ending is a takeover")
        #expect(book.claims.isEmpty, "neither is renewed again")
        // The finish's answer then ends it (nothing left to do), or hands back the lane's next job
        // under the same claim, which is held and renewed again from there.
        book.ended(finishing)
        book.claimed(finishing, sentAt: Self.t0 + .seconds(4))
        #expect(book.claims == [finishing])
        #expect(book.renewed(asked: [finishing], confirmed: [], sentAt: Self.t0 + .seconds(6)).lost == [finishing], "handed a next job, it is no longer ending")
    }

    @Test("a failed renewal drops the claims ahead of the workers; a call in hand goes on only while its lease covers it")
    func failedRenewal() {
        var book = LeaseBook(terms: Self.terms)
        let inHand = LaneClaim(lane: "a", token: 1), ahead = LaneClaim(lane: "b", token: 2)
        book.claimed(inHand, sentAt: Self.t0)
        book.claimed(ahead, sentAt: Self.t0)
        #expect(book.handOut(inHand, callTimeout: .seconds(10), now: Self.t0) == .granted)
        #expect(book.renewalFailed() == [ahead])
        #expect(book.permission(ahead, callTimeout: .seconds(1), now: Self.t0) == .lost)
        #expect(book.permission(inHand, callTimeout: .seconds(10), now: Self.t0 + .seconds(18)) == .granted)
        #expect(book.permission(inHand, callTimeout: .seconds(10), now: Self.t0 + .seconds(19)) != .granted, "it stops starting calls before the lease runs out")
    }

    @Test("a job claimed ahead whose lease can no longer cover a call is not handed out, and its claim is forgotten")
    func handOutRefusesExpiring() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        #expect(book.handOut(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .seconds(25)) == .expiring(left: .seconds(5), needed: .seconds(11)))
        #expect(book.count == 0)
    }

    @Test("a finish that hands back the lane's next job extends the same claim and puts it ahead of the workers again")
    func handBack() {
        var book = LeaseBook(terms: Self.terms)
        book.claimed(Self.lane, sentAt: Self.t0)
        #expect(book.handOut(Self.lane, callTimeout: .seconds(10), now: Self.t0) == .granted)
        book.claimed(Self.lane, sentAt: Self.t0 + .seconds(10))
        #expect(book.permission(Self.lane, callTimeout: .seconds(10), now: Self.t0 + .milliseconds(28_999)) == .granted)
        #expect(book.renewalFailed() == [Self.lane], "the handed-back job waits ahead of the workers")
    }

    @Test("renewals come every quarter lease, and the shortest lease covers a timeout and the margin in three quarters")
    func terms() {
        #expect(LeaseTerms(lease: .seconds(30)).renewalInterval == .milliseconds(7500))
        #expect(LeaseTerms.shortestLease(covering: .seconds(10)) == .milliseconds(14_667))
        #expect(LeaseTerms.shortestLease(covering: .seconds(2)) == .seconds(4))
        #expect(LeaseTerms.shortestLease(covering: .seconds(1)) == .milliseconds(2667))
        let shortest = LeaseTerms.shortestLease(covering: .seconds(7))
        #expect(shortest * 3 / 4 >= .seconds(8) && (shortest - .milliseconds(1)) * 3 / 4 < .seconds(8))
        #expect(LeaseTerms.shortestLease(covering: .seconds(Int64.max / 2)) == .nanoseconds(Int64.max), "saturates, never traps")
    }
}
