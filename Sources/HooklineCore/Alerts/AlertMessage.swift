/// What an alert says, as sent: a sentence a person reads, and the same facts as JSON for a
/// machine. Names, counts, times and Hookline's own ids only — never a payload, a secret, a URL
/// or a contact's data.
package struct AlertMessage: Sendable, Hashable {
    package var alert: Alert
    /// When the condition began, by the wall clock.
    package var since: UnixTime
    /// When this alert was made.
    package var at: UnixTime
    /// The instance that sent it.
    package var instance: String
    /// A link to the console's page about the subject, when the console has a public URL.
    package var link: String?

    package init(alert: Alert, since: UnixTime, at: UnixTime, instance: String, link: String? = nil) {
        self.alert = alert
        self.since = since
        self.at = at
        self.instance = instance
        self.link = link
    }

    /// One line: what, where, since when, with which figures.
    package var summary: String {
        let subject = "\(alert.subjectKind) '\(alert.subject)'"
        let figures = alert.figures
        let lasting = Self.describe(at.since(since))
        // "over 3m"; nothing for a streak shorter than a minute.
        let over = at.since(since) >= .seconds(60) ? " over \(lasting)" : ""
        let what: String
        switch (alert.when, alert.state) {
        case ("test", _):
            what = "a test from `hookline alert-test`: this channel receives Hookline's alerts"
        case ("dead_letter", .recovered):
            what = "\(subject) applied an event again; the dead letters stay in the console until redriven"
        case ("dead_letter", _):
            what = "an event ended dead at \(subject)" + (figures["event"].map { " (\($0))" } ?? "") + "; redrive it once the cause is fixed"
        case ("consecutive_failures", .recovered):
            what = "\(subject) applied an event again, after failing for \(lasting)"
        case ("consecutive_failures", .firing) where alert.pause != nil:
            what = "\(subject) failed \(figures["consecutive_failures"] ?? "?") attempts in a row\(over); it is paused: its events wait until `hookline resume \(alert.subject)`"
        case ("consecutive_failures", _):
            what = "\(subject) failed \(figures["consecutive_failures"] ?? "?") attempts in a row\(over)"
        case ("failure_rate", .recovered):
            what = "\(subject)'s failure rate is back to \(Self.percent(figures["failure_rate"])) of \(figures["attempts"] ?? "0") attempts"
        case ("failure_rate", _):
            what = "\(Self.percent(figures["failure_rate"])) of \(subject)'s last \(figures["attempts"] ?? "?") attempts failed (\(figures["failures"] ?? "?"))"
        case ("signature_failures", .recovered):
            what = "deliveries to \(subject) pass their signature check again"
        case ("signature_failures", _):
            what = "\(figures["signature_failures"] ?? "?") deliveries to \(subject) failed their signature check (a rotated secret?)"
        case ("oldest_waiting", .recovered):
            what = "\(subject)'s oldest waiting event is back under the limit"
        default:
            what = "\(subject)'s oldest waiting event has waited \(Self.describe(.seconds(Int64(figures["oldest_waiting_seconds"] ?? "") ?? 0)))"
        }
        let state = alert.repeated ? "\(alert.state.rawValue), still" : alert.state.rawValue
        return "[\(state)] \(alert.rule): \(what)" + (link.map { " — \($0)" } ?? "")
    }

    /// The JSON body a webhook channel posts.
    package var json: JSONValue {
        var figures = JSONObject()
        for key in alert.figures.keys.sorted() { figures.members.append(.init(key: key, value: .string(alert.figures[key] ?? ""))) }
        var object: JSONObject = [
            "type": "hookline.alert",
            "rule": .string(alert.rule),
            "when": .string(alert.when),
            "state": .string(alert.state.rawValue),
            "repeated": .bool(alert.repeated),
            alert.subjectKind: .string(alert.subject),
            "since": .string(since.rfc3339),
            "at": .string(at.rfc3339),
            "figures": .object(figures),
            "paused": .bool(alert.pause != nil),
            "instance": .string(instance),
            "summary": .string(summary),
        ]
        if let link { object.members.append(.init(key: "link", value: .string(link))) }
        return .object(object)
    }

    /// The body a Slack incoming webhook takes.
    package var slack: JSONValue {
        ["text": .string("Hookline \(summary)")]
    }

    /// What `hookline alert-test` sends: a made-up alert that says it is one.
    package static func test(channel: String, at: UnixTime, instance: String) -> AlertMessage {
        let alert = Alert(
            rule: "alert-test", when: "test", subjectKind: "channel", subject: channel, state: .firing, since: .now(), figures: [:],
            channels: [channel])
        return AlertMessage(alert: alert, since: at, at: at, instance: instance)
    }

    /// "45s", "12m", "3h 5m", "2d 4h".
    package static func describe(_ duration: Duration) -> String {
        let seconds = max(0, duration.components.seconds)
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86_400: return "\(seconds / 3600)h" + (seconds % 3600 >= 60 ? " \(seconds % 3600 / 60)m" : "")
        default: return "\(seconds / 86_400)d" + (seconds % 86_400 >= 3600 ? " \(seconds % 86_400 / 3600)h" : "")
        }
    }

    /// "0.35" as "35%".
    private static func percent(_ fraction: String?) -> String {
        guard let fraction, let value = Double(fraction) else { return "?" }
        return "\(Int((value * 100).rounded()))%"
    }
}
