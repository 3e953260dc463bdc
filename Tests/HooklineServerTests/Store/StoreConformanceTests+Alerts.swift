import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

extension StoreConformanceTests {
    @Test("oldest waiting: each target's oldest unfinished job's receipt, gone once it is finished", arguments: StoreUnderTest.all)
    func oldestWaiting(store: StoreUnderTest) async throws {
        try await store.with(TemporaryDirectory()) { opened in
            #expect(try await opened.oldestWaiting().isEmpty, "nothing waits in an empty store")
            let older = UnixTime(milliseconds: UnixTime.now().milliseconds - 600_000)
            let newer = UnixTime(milliseconds: UnixTime.now().milliseconds - 60_000)
            for (event, contact, ts) in [("evt_o1", "c_one", older), ("evt_o2", "c_one", newer), ("evt_o3", "c_two", newer)] {
                let (record, jobs) = try Self.delivery(event, contact: contact, at: ts)
                #expect(await Self.keep(opened, record, jobs: jobs) == .durable)
            }
            #expect(try await opened.oldestWaiting() == ["omnichannel": older, "buildr": older])
            // The four lanes' heads go out; a job in flight is unfinished, so still counts. Once
            // the older event is done at buildr, its next job there is the oldest.
            let heads = try await Self.take(4, from: opened)
            #expect(try await opened.oldestWaiting() == ["omnichannel": older, "buildr": older])
            let done = try #require(heads.first { $0.event.id == "evt_o1" && $0.target == "buildr" })
            #expect(await opened.finish(done, line: Self.line(done, .applied)) == .written)
            #expect(try await opened.oldestWaiting() == ["omnichannel": older, "buildr": newer])
        }
    }

    @Test("alerts: a change of state is sent once, its repeat only when due, and every alert sent is kept", arguments: StoreUnderTest.all)
    func recordingAlerts(store: StoreUnderTest) async throws {
        try await store.with(TemporaryDirectory()) { opened in
            func message(_ state: AlertState, repeated: Bool = false) -> AlertMessage {
                var alert = Alert(
                    rule: "streak", when: "consecutive_failures", subjectKind: "target", subject: "buildr", state: state, since: .now(),
                    figures: ["consecutive_failures": "10"], channels: ["ops"])
                alert.repeated = repeated
                return AlertMessage(alert: alert, since: UnixTime(milliseconds: 1_780_000_000_000), at: .now(), instance: opened.instanceName)
            }
            #expect(try await opened.record(alert: message(.warning), repeatEvery: nil))
            #expect(try await opened.record(alert: message(.firing), repeatEvery: nil))
            #expect(try await opened.record(alert: message(.recovered), repeatEvery: nil))
            let sent = try await opened.sentAlerts(limit: 10)
            #expect(sent.map(\.state) == [.recovered, .firing, .warning], "newest first")
            #expect(sent.allSatisfy { $0.rule == "streak" && $0.subject == "buildr" && $0.sentBy == opened.instanceName })
            #expect(try await opened.sentAlerts(limit: 1).count == 1)
        }
    }
}

/// Alerts in a fleet: each instance judges what it sees, and the store lets one send each change.
@Suite("alerts across a fleet", .serialized, .timeLimit(.minutes(1)))
struct FleetAlertStoreTests {
    @Test("the same change reported by two instances is sent by one; a recovery once; a repeat only when due")
    func oncePerFleet() async throws {
        try await StoreUnderTest.twoOnOneDatabase { first, second in
            func message(_ state: AlertState, from store: any Store, repeated: Bool = false) -> AlertMessage {
                var alert = Alert(
                    rule: "rate", when: "failure_rate", subjectKind: "target", subject: "plannr", state: state, since: .now(),
                    figures: ["failure_rate": "0.50"], channels: ["ops"])
                alert.repeated = repeated
                return AlertMessage(alert: alert, since: .now(), at: .now(), instance: store.instanceName)
            }
            #expect(first.instanceName != second.instanceName)
            #expect(try await first.record(alert: message(.firing, from: first), repeatEvery: nil))
            #expect(try await second.record(alert: message(.firing, from: second), repeatEvery: nil) == false, "sent by the first already")
            #expect(
                try await second.record(alert: message(.firing, from: second, repeated: true), repeatEvery: .seconds(3600)) == false,
                "a repeat is not due yet")
            #expect(try await second.record(alert: message(.firing, from: second, repeated: true), repeatEvery: .milliseconds(1)))
            #expect(try await second.record(alert: message(.recovered, from: second), repeatEvery: nil))
            #expect(try await first.record(alert: message(.recovered, from: first), repeatEvery: nil) == false, "recovered already")
            #expect(try await first.record(alert: message(.firing, from: first), repeatEvery: nil), "firing again after a recovery")
            let sent = try await first.sentAlerts(limit: 10)
            #expect(sent.map(\.state) == [.firing, .recovered, .firing, .firing])
            #expect(sent.map(\.sentBy) == [first.instanceName, second.instanceName, second.instanceName, first.instanceName])
        }
    }
}
