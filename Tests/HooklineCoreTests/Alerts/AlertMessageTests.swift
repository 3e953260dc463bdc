import HooklineCore
import Testing

@Suite("alert messages")
struct AlertMessageTests {
    static let since = UnixTime(milliseconds: 1_796_000_000_000)

    static func message(_ when: String, _ state: AlertState, figures: [String: String], pause: String? = nil, minutes: Int64 = 12) -> AlertMessage {
        let alert = Alert(
            rule: when, when: when, subjectKind: when == "signature_failures" ? "source" : "target", subject: "plannr", state: state,
            since: .now(), figures: figures, pause: pause, channels: ["ops"])
        return AlertMessage(alert: alert, since: since, at: since + .seconds(minutes * 60), instance: "hl-a")
    }

    @Test("each rule says what happened, where, since when and with which figures")
    func summaries() {
        #expect(
            Self.message("consecutive_failures", .warning, figures: ["consecutive_failures": "10"]).summary
                == "[warning] consecutive_failures: target 'plannr' failed 10 attempts in a row over 12m")
        #expect(
            Self.message("consecutive_failures", .firing, figures: ["consecutive_failures": "50"], pause: "plannr").summary
                == "[firing] consecutive_failures: target 'plannr' failed 50 attempts in a row over 12m; it is paused: its events wait until `hookline resume plannr`")
        #expect(
            Self.message("consecutive_failures", .recovered, figures: ["consecutive_failures": "0"], minutes: 185).summary
                == "[recovered] consecutive_failures: target 'plannr' applied an event again, after failing for 3h 5m")
        #expect(
            Self.message("failure_rate", .firing, figures: ["attempts": "40", "failures": "14", "failure_rate": "0.35"]).summary
                == "[firing] failure_rate: 35% of target 'plannr''s last 40 attempts failed (14)")
        #expect(
            Self.message("signature_failures", .firing, figures: ["signature_failures": "57"]).summary
                == "[firing] signature_failures: 57 deliveries to source 'plannr' failed their signature check (a rotated secret?)")
        #expect(
            Self.message("oldest_waiting", .firing, figures: ["oldest_waiting_seconds": "960"]).summary
                == "[firing] oldest_waiting: target 'plannr''s oldest waiting event has waited 16m")
        #expect(
            Self.message("dead_letter", .firing, figures: ["event": "evt_01J"]).summary
                == "[firing] dead_letter: an event ended dead at target 'plannr' (evt_01J); redrive it once the cause is fixed")
    }

    @Test("the webhook body holds the facts as JSON, in a fixed order; Slack's is one line of text")
    func bodies() {
        var message = Self.message("failure_rate", .firing, figures: ["failures": "14", "attempts": "40", "failure_rate": "0.35"])
        message.link = "https://console.example/targets/plannr"
        #expect(
            JSONWriter.string(message.json)
                == #"{"type":"hookline.alert","rule":"failure_rate","when":"failure_rate","state":"firing","repeated":false,"target":"plannr","since":"2026-11-30T00:53:20.000Z","at":"2026-11-30T01:05:20.000Z","figures":{"attempts":"40","failure_rate":"0.35","failures":"14"},"paused":false,"instance":"hl-a","summary":"[firing] failure_rate: 35% of target 'plannr''s last 40 attempts failed (14) — https://console.example/targets/plannr","link":"https://console.example/targets/plannr"}"#)
        #expect(JSONWriter.string(message.slack).hasPrefix(#"{"text":"Hookline [firing] failure_rate: 35%"#))
    }

    @Test("durations read as a person writes them")
    func durations() {
        #expect(
            [.seconds(45), .seconds(60), .seconds(3599), .seconds(3600), .seconds(3660), .seconds(86_400), .seconds(90_000), .seconds(-5)].map(
                AlertMessage.describe) == ["45s", "1m", "59m", "1h", "1h 1m", "1d", "1d 1h", "0s"])
    }
}
