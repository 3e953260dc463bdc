import HooklineCore
import Testing

@Suite("What a reload changes")
struct ConfigurationChangesTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let second = "whsec_c2Vjb25kLXNlY3JldC1mb3ItcmVsb2FkLXRlc3Rz"

    static func load(
        port: Int = 8080, audit: String = "audit.jsonl", secrets: [String] = [secret], targets: String = "", routes: String = "", retry: String = "",
        rules: String = "", tokens: String = ""
    ) throws -> HooklineConfiguration {
        try ConfigurationLoader.load(
            yaml: """
                server: {port: \(port)}
                audit: {path: \(audit)}
                \(retry)
                sources: [{name: standard, kind: standard, signature: {scheme: standard-webhooks, secrets: [\(secrets.joined(separator: ", "))]}}]
                targets:
                  - {name: omni, kind: omnichannel, base_url: "http://127.0.0.1:9", api_key: k}
                \(targets)
                routes:
                  - {from: standard, to: omni}
                \(routes)
                alerts:
                  channels: [{name: ops, kind: slack, url: "https://hooks.slack.example/x"}]
                  rules:
                    - {name: dead, when: dead_letter, to: [ops]}
                \(rules)
                console:
                  tokens:
                    - {name: admin, role: operator, sha256: "\(String(repeating: "ab", count: 32))"}
                \(tokens)
                """, file: "hookline.yaml", environment: [:])
    }

    @Test("nothing changed, nothing to do")
    func same() throws {
        #expect(ConfigurationChanges.between(try Self.load(), try Self.load()).isEmpty)
    }

    @Test("a secret added, then the old one retired, is told as a count — never a value")
    func secrets() throws {
        let changes = ConfigurationChanges.between(try Self.load(), try Self.load(secrets: [Self.secret, Self.second]))
        #expect(changes.needingRestart.isEmpty)
        #expect(changes.applied == ["source standard: secrets (1 → 2)"])
        let retired = ConfigurationChanges.between(try Self.load(secrets: [Self.secret, Self.second]), try Self.load(secrets: [Self.second]))
        #expect(retired.applied == ["source standard: secrets (2 → 1)"])
        #expect(!"\(retired)".contains("MfKQ9r8") && !"\(retired)".contains("c2Vjb25k"))
        // The same number of secrets, one replaced: still a change.
        #expect(ConfigurationChanges.between(try Self.load(), try Self.load(secrets: [Self.second])).applied == ["source standard: secrets (1 → 1)"])
    }

    @Test("targets, routes, retry, alert rules and console tokens apply live")
    func live() throws {
        let changes = ConfigurationChanges.between(
            try Self.load(),
            try Self.load(
                targets: #"  - {name: second, kind: omnichannel, base_url: "http://127.0.0.1:9/b", api_key: k, rate_limit: {requests: 5, per: 1s}}"#,
                routes: "  - {from: standard, to: second}", retry: "retry: {max_attempts: 3}",
                rules: "    - {name: waiting, when: oldest_waiting, target: omni, above: 5m, to: [ops]}",
                tokens: #"    - {name: viewer, role: viewer, sha256: "\#(String(repeating: "cd", count: 32))"}"#))
        #expect(changes.needingRestart.isEmpty, "\(changes.needingRestart)")
        #expect(
            changes.applied == [
                "console token viewer added", "alert rule waiting added", "target second added", "routes (1 → 2)", "retry",
            ])
    }

    @Test("the listener, the audit log, the store and alert channels need a restart")
    func restart() throws {
        let moved = ConfigurationChanges.between(try Self.load(), try Self.load(port: 9000, audit: "other.jsonl"))
        #expect(moved.needingRestart == ["server: the listener address (127.0.0.1:8080 → 127.0.0.1:9000)", "audit.path (audit.jsonl → other.jsonl)"])
        var store = try Self.load()
        store.store = .postgres(PostgresSettings(url: try PostgresURL(parsing: "postgres://hookline@h/db")))
        #expect(ConfigurationChanges.between(try Self.load(), store).needingRestart == ["store"])
        var channels = try Self.load()
        channels.alerts.channels = []
        #expect(ConfigurationChanges.between(try Self.load(), channels).needingRestart.contains("alerts.channels"))
    }
}

@Suite("Alert rules replaced by a reload")
struct AlertBookReplacingTests {
    @Test("an unchanged rule keeps what it remembers; a changed one starts afresh")
    func keepsMemory() throws {
        let streak = AlertRule(name: "streak", condition: .consecutiveFailures(target: .all, warnAt: 2, pauseAt: nil), to: [])
        var book = AlertBook(rules: [streak])
        let now = MonotonicTime.now()
        _ = book.attempt(at: "omni", succeeded: false, now: now)
        // Replaced by itself: the streak goes on, and the next failure warns.
        var kept = book.replacing(rules: [streak])
        #expect(kept.attempt(at: "omni", succeeded: false, now: now).map(\.rule) == ["streak"])
        // Changed (a higher threshold): it counts from nothing.
        let higher = AlertRule(name: "streak", condition: .consecutiveFailures(target: .all, warnAt: 3, pauseAt: nil), to: [])
        var fresh = book.replacing(rules: [higher])
        #expect(fresh.attempt(at: "omni", succeeded: false, now: now).isEmpty)
        #expect(fresh.attempt(at: "omni", succeeded: false, now: now).isEmpty)
        #expect(fresh.attempt(at: "omni", succeeded: false, now: now).map(\.rule) == ["streak"])
    }
}

@Suite("The audit path of a file that does not load")
struct AuditPathOnlyTests {
    @Test("read from audit.path even when another key is wrong; the default without one; a file that is not YAML is an error")
    func auditPath() throws {
        let broken = "audit: {path: /var/lib/hookline/audit.jsonl}\nsources: [{name: standard, kind: nonsense}]\n"
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(yaml: broken, file: "h.yaml", environment: [:]) }
        #expect(try ConfigurationLoader.auditPath(yaml: broken, file: "h.yaml", environment: [:]) == "/var/lib/hookline/audit.jsonl")
        #expect(try ConfigurationLoader.auditPath(yaml: "sources: []\n", file: "h.yaml", environment: [:]) == AuditSettings().path)
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.auditPath(yaml: "audit: [", file: "h.yaml", environment: [:]) }
    }
}
