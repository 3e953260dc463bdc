/// What a reload would change, worked out from the running configuration and the one just read:
/// the changes it applies live (sources and their secrets, targets, routes, retry, alert rules,
/// console tokens), in words for the log, and the ones that need a restart — which make the
/// reload refuse, changing nothing. Secrets are never named by value: a changed secret shows as a
/// count of secrets, compared by a fingerprint of each prepared key.
package struct ConfigurationChanges: Sendable, Hashable {
    /// Sections whose change needs a restart, with what changed.
    package var needingRestart: [String] = []
    /// What a reload applies, one line each.
    package var applied: [String] = []

    package var isEmpty: Bool { needingRestart.isEmpty && applied.isEmpty }

    package static func between(_ old: HooklineConfiguration, _ new: HooklineConfiguration) -> ConfigurationChanges {
        var changes = ConfigurationChanges()
        // What the process was started with: its sockets, files, database and threads.
        if old.server.host != new.server.host || old.server.port != new.server.port {
            changes.needingRestart.append("server: the listener address (\(old.server.host):\(old.server.port) → \(new.server.host):\(new.server.port))")
        } else if old.server != new.server {
            changes.needingRestart.append("server: its limits, timeouts or proxies")
        }
        if old.store != new.store { changes.needingRestart.append("store") }
        if old.audit.path != new.audit.path {
            changes.needingRestart.append("audit.path (\(old.audit.path) → \(new.audit.path))")
        } else if old.audit != new.audit {
            changes.needingRestart.append("audit: fsync, rotation, rejected lines or payloads")
        }
        if old.queue != new.queue { changes.needingRestart.append("queue") }
        if old.tracing != new.tracing { changes.needingRestart.append("tracing") }
        switch (old.console, new.console) {
        case (nil, nil): break
        case (nil, _?): changes.needingRestart.append("console: turning it on")
        case (_?, nil): changes.needingRestart.append("console: turning it off")
        case (let before?, let after?):
            if before.host != after.host || before.port != after.port || before.publicURL != after.publicURL {
                changes.needingRestart.append("console: its listener or public_url")
            }
            changes.applied += names("console token", before.tokens.map(\.name), after.tokens.map(\.name), changed: { name in
                before.tokens.first { $0.name == name } != after.tokens.first { $0.name == name }
            })
        }
        if old.alerts.channels != new.alerts.channels { changes.needingRestart.append("alerts.channels") }
        if old.alerts.rules.isEmpty != new.alerts.rules.isEmpty {
            changes.needingRestart.append(new.alerts.rules.isEmpty ? "alerts: removing the last rule" : "alerts: adding the first rule")
        } else {
            changes.applied += names("alert rule", old.alerts.rules.map(\.name), new.alerts.rules.map(\.name), changed: { name in
                old.alerts.rules.first { $0.name == name } != new.alerts.rules.first { $0.name == name }
            })
        }
        // What a reload applies.
        let oldSources = Dictionary(old.sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let newSources = Dictionary(new.sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for source in new.sources where oldSources[source.name] == nil { changes.applied.append("source \(source.name) added") }
        for source in old.sources where newSources[source.name] == nil { changes.applied.append("source \(source.name) removed") }
        for source in new.sources {
            guard let before = oldSources[source.name] else { continue }
            var what: [String] = []
            if before.kind != source.kind { what.append("kind \(before.kind) → \(source.kind)") }
            if before.verifier.scheme.name != source.verifier.scheme.name {
                what.append("scheme \(before.verifier.scheme.name) → \(source.verifier.scheme.name)")
            }
            if before.verifier.fingerprints != source.verifier.fingerprints {
                what.append("secrets (\(before.verifier.keys.count) → \(source.verifier.keys.count))")
            }
            if before.verifier.tolerance != source.verifier.tolerance { what.append("tolerance") }
            if before.allow != source.allow { what.append("allow") }
            if before.idHeader != source.idHeader || before.eventHeader != source.eventHeader { what.append("headers") }
            if before.resolveWith != source.resolveWith { what.append("resolve_with") }
            if !what.isEmpty { changes.applied.append("source \(source.name): \(what.joined(separator: ", "))") }
        }
        changes.applied += names("target", old.targets.map(\.name), new.targets.map(\.name), changed: { name in
            old.targets.first { $0.name == name } != new.targets.first { $0.name == name }
        })
        if old.routes != new.routes { changes.applied.append("routes (\(old.routes.count) → \(new.routes.count))") }
        if old.retry != new.retry { changes.applied.append("retry") }
        return changes
    }

    /// "target omnichannel added", "… removed", "… changed".
    private static func names(_ kind: String, _ old: [String], _ new: [String], changed: (String) -> Bool) -> [String] {
        var lines: [String] = []
        for name in new where !old.contains(name) { lines.append("\(kind) \(name) added") }
        for name in old where !new.contains(name) { lines.append("\(kind) \(name) removed") }
        for name in new where old.contains(name) && changed(name) { lines.append("\(kind) \(name) changed") }
        return lines
    }
}

extension SignatureVerifier {
    /// Each key's MAC of a fixed text: equal for equal secrets, and says nothing of them.
    package var fingerprints: [[UInt8]] {
        keys.map { (try? $0.authenticationCode(message: Array("hookline configuration fingerprint".utf8))) ?? [] }
    }
}
