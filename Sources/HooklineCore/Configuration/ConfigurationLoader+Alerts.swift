extension ConfigurationLoader {
    /// `alerts: {channels: […], rules: […]}`: every rule names channels that exist, and targets
    /// and sources that exist (or `"*"`).
    static func alerts(_ section: YAMLSection, targets: [TargetSettings], sources: [SourceSettings]) throws(ConfigurationError) -> AlertSettings {
        try section.checkKeys(["channels", "rules"])
        var settings = AlertSettings()
        for channel in try section.sections("channels") {
            let parsed = try alertChannel(channel)
            guard !settings.channels.contains(where: { $0.name == parsed.name }) else {
                throw channel.error("name", "a second channel named '\(parsed.name)'")
            }
            settings.channels.append(parsed)
        }
        let channelNames = Set(settings.channels.map(\.name))
        let targetNames = Set(targets.map(\.name))
        let sourceNames = Set(sources.map(\.name))
        for rule in try section.sections("rules") {
            let parsed = try alertRule(rule, targets: targetNames, sources: sourceNames)
            guard !settings.rules.contains(where: { $0.name == parsed.name }) else {
                throw rule.error("name", "a second rule named '\(parsed.name)': give one of them a name")
            }
            for channel in parsed.to where !channelNames.contains(channel) {
                throw rule.error("to", "no channel named '\(channel)' (channels: \(channelNames.sorted().joined(separator: ", ")))")
            }
            settings.rules.append(parsed)
        }
        return settings
    }

    private static func alertChannel(_ section: YAMLSection) throws(ConfigurationError) -> AlertChannel {
        let name = try section.requiredString("name")
        let kind = try section.requiredString("kind")
        let url = try section.requiredString("url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            // The URL may hold a token (Slack's do): the problem says what is wrong, not the URL.
            throw section.error("url", "expected an http:// or https:// URL")
        }
        switch kind {
        case "webhook":
            try section.checkKeys(["name", "kind", "url", "secret"])
            let secret = try section.requiredString("secret")
            do {
                _ = try StandardWebhooksScheme().key(forSecret: secret)
            } catch {
                throw section.error("secret", error.problem)
            }
            return AlertChannel(name: name, kind: .webhook(url: url, secret: secret))
        case "slack":
            try section.checkKeys(["name", "kind", "url"])
            return AlertChannel(name: name, kind: .slack(url: url))
        default:
            throw section.error("kind", "expected webhook or slack, got '\(kind)'")
        }
    }

    private static func alertRule(_ section: YAMLSection, targets: Set<String>, sources: Set<String>) throws(ConfigurationError) -> AlertRule {
        let when = try section.requiredString("when")
        let common = ["name", "when", "to", "repeat_every"]
        func scope(_ key: String, among names: Set<String>) throws(ConfigurationError) -> AlertScope {
            let scope = AlertScope(try section.string(key))
            if case .named(let name) = scope, !names.contains(name) {
                throw section.error(key, "no \(key) named '\(name)' (use \"*\" for every one)")
            }
            return scope
        }
        func window() throws(ConfigurationError) -> Duration {
            guard let over = try section.duration("over") else { throw section.error("over", "required, a duration such as 10m") }
            guard over >= .seconds(60) else { throw section.error("over", "must be at least 1m") }
            return over
        }
        let condition: AlertRule.Condition
        switch when {
        case "dead_letter":
            try section.checkKeys(common + ["target"])
            condition = .deadLetter(target: try scope("target", among: targets))
        case "consecutive_failures":
            try section.checkKeys(common + ["target", "warn_at", "pause_at"])
            guard let warnAt = try section.int("warn_at", range: 1...1_000_000) else { throw section.error("warn_at", "required, a number of failures") }
            let pauseAt = try section.int("pause_at", range: 1...1_000_000)
            if let pauseAt, pauseAt <= warnAt {
                throw section.error("pause_at", "must be above warn_at (\(warnAt)): the warning comes before the pause")
            }
            condition = .consecutiveFailures(target: try scope("target", among: targets), warnAt: warnAt, pauseAt: pauseAt)
        case "failure_rate":
            try section.checkKeys(common + ["target", "above", "over", "min_attempts"])
            guard let above = try section.double("above", range: 0...1) else { throw section.error("above", "required, a fraction such as 0.2") }
            let minAttempts = try section.int("min_attempts", range: 1...1_000_000) ?? 20
            condition = .failureRate(target: try scope("target", among: targets), above: above, over: try window(), minAttempts: minAttempts)
        case "signature_failures":
            try section.checkKeys(common + ["source", "above", "over"])
            guard let above = try section.int("above", range: 0...1_000_000_000) else { throw section.error("above", "required, a number of failures") }
            condition = .signatureFailures(source: try scope("source", among: sources), above: above, over: try window())
        case "oldest_waiting":
            try section.checkKeys(common + ["target", "above"])
            guard let above = try section.duration("above") else { throw section.error("above", "required, a duration such as 15m") }
            condition = .oldestWaiting(target: try scope("target", among: targets), above: above)
        default:
            throw section.error(
                "when", "expected dead_letter, consecutive_failures, failure_rate, signature_failures or oldest_waiting, got '\(when)'")
        }
        guard let to = try section.strings("to"), !to.isEmpty else { throw section.error("to", "required: the channels to alert") }
        let repeatEvery = try section.duration("repeat_every")
        if let repeatEvery, repeatEvery < .seconds(60) { throw section.error("repeat_every", "must be at least 1m") }
        return AlertRule(name: try section.string("name") ?? when, condition: condition, to: to, repeatEvery: repeatEvery)
    }
}
