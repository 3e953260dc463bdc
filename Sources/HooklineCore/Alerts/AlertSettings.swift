/// `alerts:` in the configuration: where alerts go, and when they fire.
package struct AlertSettings: Sendable, Hashable {
    package var channels: [AlertChannel] = []
    package var rules: [AlertRule] = []

    package init(channels: [AlertChannel] = [], rules: [AlertRule] = []) {
        self.channels = channels
        self.rules = rules
    }
}

/// Where an alert is sent.
package struct AlertChannel: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        /// A JSON POST signed as Standard Webhooks with `secret` (`whsec_…`).
        case webhook(url: String, secret: String)
        /// A Slack incoming webhook: `{"text": …}`.
        case slack(url: String)
    }

    package var name: String
    package var kind: Kind

    package init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

/// Which targets or sources a rule watches: one by name, or every one (`"*"`).
package enum AlertScope: Sendable, Hashable {
    case all
    case named(String)

    package init(_ text: String?) { self = text.map { $0 == "*" ? .all : .named($0) } ?? .all }

    package func covers(_ name: String) -> Bool {
        switch self {
        case .all: true
        case .named(let only): only == name
        }
    }

    package var text: String {
        switch self {
        case .all: "*"
        case .named(let name): name
        }
    }
}

/// One rule: a condition, the channels it alerts, and how often a firing alert is repeated.
package struct AlertRule: Sendable, Hashable {
    package enum Condition: Sendable, Hashable {
        /// An event ended `dead` or `failed` at a target; clears when the target next applies one.
        case deadLetter(target: AlertScope)
        /// A target failed `warnAt` attempts in a row (a warning), and `pauseAt` (then it is
        /// paused, when set); clears on its next success.
        case consecutiveFailures(target: AlertScope, warnAt: Int, pauseAt: Int?)
        /// More than `above` (a fraction) of a target's attempts failed over the last `over`,
        /// counting only once it made `minAttempts`.
        case failureRate(target: AlertScope, above: Double, over: Duration, minAttempts: Int)
        /// More than `above` deliveries to a source failed their signature check over `over`
        /// (usually a rotated secret).
        case signatureFailures(source: AlertScope, above: Int, over: Duration)
        /// A target's oldest waiting job has waited longer than `above`.
        case oldestWaiting(target: AlertScope, above: Duration)

        /// The rule's `when:` word.
        package var when: String {
            switch self {
            case .deadLetter: "dead_letter"
            case .consecutiveFailures: "consecutive_failures"
            case .failureRate: "failure_rate"
            case .signatureFailures: "signature_failures"
            case .oldestWaiting: "oldest_waiting"
            }
        }
    }

    /// Its name in alerts and metrics: `name:`, or its `when:` word.
    package var name: String
    package var condition: Condition
    /// Channel names.
    package var to: [String]
    /// How often an alert still firing is sent again; nil sends it once until it clears.
    package var repeatEvery: Duration?

    package init(name: String, condition: Condition, to: [String], repeatEvery: Duration? = nil) {
        self.name = name
        self.condition = condition
        self.to = to
        self.repeatEvery = repeatEvery
    }
}

extension AlertChannel: CustomStringConvertible {
    /// Its name and kind: a channel's URL may hold a token (Slack's do) and its secret is one.
    package var description: String {
        switch kind {
        case .webhook: "\(name) (webhook)"
        case .slack: "\(name) (slack)"
        }
    }

    /// The host it posts to, for `check-config`: never the path, where tokens live.
    package var host: String {
        let url = switch kind {
        case .webhook(let url, _), .slack(let url): url
        }
        let rest = url.split(separator: "://", maxSplits: 1).last.map(String.init) ?? url
        let authority = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? rest
        return authority.split(separator: "@").last.map(String.init) ?? authority
    }
}

extension AlertRule {
    /// The condition in words, for `check-config`.
    package var conditionText: String {
        switch condition {
        case .deadLetter(let target):
            return "an event ends dead or failed at target \(target.text)"
        case .consecutiveFailures(let target, let warnAt, let pauseAt):
            return "target \(target.text) fails \(warnAt) attempts in a row"
                + (pauseAt.map { " (warning); paused at \($0)" } ?? " (warning; never paused: no pause_at)")
        case .failureRate(let target, let above, let over, let minAttempts):
            return "over \(AlertBook.format(above)) of target \(target.text)'s attempts fail over \(over.configurationText) (at least \(minAttempts) attempts)"
        case .signatureFailures(let source, let above, let over):
            return "more than \(above) deliveries to source \(source.text) fail their signature check over \(over.configurationText)"
        case .oldestWaiting(let target, let above):
            return "an event waits at target \(target.text) longer than \(above.configurationText)"
        }
    }
}
