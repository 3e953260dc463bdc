import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

extension StoreConformanceTests {
    /// The next job that `wanted` accepts, giving back the others (a store may hand them out again).
    static func next(from store: any Store, _ wanted: (Job) -> Bool) async throws -> Job {
        for _ in 0..<50 {
            let job = try #require(await store.next())
            if wanted(job) { return job }
            await store.abandon(job)
        }
        throw JournalFailure("the wanted job was not handed out")
    }

    @Test("history: events newest first with each target's state, filters, pages by cursor, and one event's lines", arguments: StoreUnderTest.all)
    func history(store: StoreUnderTest) async throws {
        try await store.with(TemporaryDirectory()) { opened in
            let base = UnixTime.now().milliseconds - 60_000
            for (index, contact) in ["c_h1", "c_h2", "c_h1"].enumerated() {
                let (record, jobs) = try Self.delivery("evt_h\(index + 1)", contact: contact, at: UnixTime(milliseconds: base + Int64(index) * 1000))
                #expect(await Self.keep(opened, record, jobs: jobs) == .durable)
            }
            // evt_h1: applied at omnichannel; at buildr retried twice, then dead. evt_h2: applied at buildr.
            var retried: Job?
            for job in try await Self.take(4, from: opened) {
                switch (job.event.id, job.target) {
                case ("evt_h1", "omnichannel"), ("evt_h2", "buildr"):
                    #expect(await opened.finish(job, line: Self.line(job, .applied)) == .written)
                case ("evt_h1", "buildr"):
                    retried = job
                default:
                    await opened.abandon(job)
                }
            }
            var job = try #require(retried)
            for attempt in 1...2 {
                job.attempt = attempt
                #expect(await opened.park(job, until: .now(), line: Self.line(job, .retry, attempt: attempt)) == .written)
                job = try await Self.next(from: opened) { $0.event.id == "evt_h1" && $0.target == "buildr" }
            }
            #expect(await opened.finish(job, line: Self.line(job, .dead, attempt: 3)) == .written)
            _ = await opened.flush()

            let all = try await opened.events(EventQuery(), limit: 10)
            #expect(all.events.map(\.id) == ["evt_h3", "evt_h2", "evt_h1"], "newest first")
            let first = try #require(all.events.last)
            #expect(first.contact == "c_h1" && first.source == "standard" && first.type == "contact.updated")
            #expect(first.targets.map { "\($0.target)=\($0.state.rawValue)" } == ["omnichannel=applied", "buildr=dead"])
            #expect(first.targets.last?.attempts == 3)
            #expect(all.next == nil)

            #expect(try await opened.events(EventQuery(contact: "c_h1"), limit: 10).events.map(\.id) == ["evt_h3", "evt_h1"])
            #expect(try await opened.events(EventQuery(outcome: .dead), limit: 10).events.map(\.id) == ["evt_h1"])
            #expect(try await opened.events(EventQuery(target: "buildr", outcome: .applied), limit: 10).events.map(\.id) == ["evt_h2"])
            #expect(try await opened.events(EventQuery(outcome: .pending), limit: 10).events.map(\.id) == ["evt_h3", "evt_h2"])
            #expect(try await opened.events(EventQuery(source: "plannr"), limit: 10).events.isEmpty)
            let recent = try await opened.events(EventQuery(since: UnixTime(milliseconds: base + 500)), limit: 10)
            #expect(recent.events.map(\.id) == ["evt_h3", "evt_h2"])

            // Pages of one, each from the last one's cursor.
            var query = EventQuery()
            var paged: [String] = []
            for _ in 0..<4 {
                let page = try await opened.events(query, limit: 1)
                paged += page.events.map(\.id)
                guard let next = page.next else { break }
                query.before = next
            }
            #expect(paged == ["evt_h3", "evt_h2", "evt_h1"])

            let detail = try #require(try await opened.event("evt_h1"))
            #expect(detail.opening.outcome == .received && detail.opening.payload != nil)
            let outcomes = detail.lines.map { "\($0.outcome.rawValue) \($0.target ?? "")" }
            // The file store has every line; a shared store, where each job stands.
            #expect(outcomes.filter { !$0.hasPrefix("retry") }.sorted() == ["applied omnichannel", "dead buildr"])
            #expect(outcomes.filter { $0.hasPrefix("retry") }.count == (store.holdsLeases ? 0 : 2), "\(outcomes)")
            #expect(detail.summary.targets.map(\.state) == [.applied, .dead])
            #expect(try await opened.event("evt_nope") == nil)
        }
    }
}

extension StoreConformanceTests {
    @Test("target health: job ends over the last hour and day, the last success, and what still waits", arguments: StoreUnderTest.all)
    func targetHealth(store: StoreUnderTest) async throws {
        let place = try TemporaryDirectory()
        try await store.with(place) { opened in
            for (index, contact) in ["c_t1", "c_t2", "c_t3"].enumerated() {
                let (record, jobs) = try Self.delivery("evt_t\(index + 1)", contact: contact)
                #expect(await Self.keep(opened, record, jobs: jobs) == .durable)
            }
            // At omnichannel: two applied, one dead. At buildr: nothing ends; all three wait.
            var ended = 0
            while ended < 3 {
                let job = try await Self.next(from: opened) { $0.target == "omnichannel" }
                #expect(await opened.finish(job, line: Self.line(job, job.event.id == "evt_t2" ? .dead : .applied)) == .written)
                ended += 1
            }
            _ = await opened.flush()
            let health = try await opened.targetHealth()
            let omnichannel = try #require(health["omnichannel"])
            #expect(omnichannel.hour == TargetHealth.Window(applied: 2, ended: 3))
            #expect(omnichannel.day == TargetHealth.Window(applied: 2, ended: 3))
            #expect(omnichannel.waiting == 0 && omnichannel.oldestWaiting == nil)
            let lastApplied = try #require(omnichannel.lastApplied)
            #expect(UnixTime.now().since(lastApplied) < .seconds(60))
            let buildr = try #require(health["buildr"])
            #expect(buildr.waiting == 3 && buildr.oldestWaiting != nil && buildr.day.ended == 0)
        }
        // After a restart the last day still counts (a file store reads its log back).
        try await store.with(place) { reopened in
            try await eventually(timeout: .seconds(10), "the last day's ends, after a restart") {
                try await reopened.targetHealth()["omnichannel"]?.day == TargetHealth.Window(applied: 2, ended: 3)
            }
        }
    }
}
