import HooklineCore
import Testing

@Suite("configuration: alerts")
struct AlertConfigurationTests {
    static let targets = """
        targets:
          - {name: omni, kind: omnichannel, base_url: "http://127.0.0.1:9/omni", api_key: k}
        routes:
          - {from: standard, to: omni}

        """

    static func load(_ alerts: String, environment: [String: String] = [:]) throws -> HooklineConfiguration {
        var all = ConfigurationLoaderTests.environment
        all.merge(environment) { $1 }
        return try ConfigurationLoaderTests.load(ConfigurationLoaderTests.minimal + "\n" + targets + alerts, environment: all)
    }

    static func error(_ alerts: String) -> String? {
        ConfigurationLoaderTests.error(ConfigurationLoaderTests.minimal + "\n" + targets + alerts)
    }

    @Test("the issue's example loads: channels, every kind of rule, defaults and names")
    func example() throws {
        let configuration = try Self.load(
            """
            alerts:
              channels:
                - {name: ops, kind: webhook, url: https://ops.example.com/hookline, secret: "${ALERT_SECRET}"}
                - {name: chat, kind: slack, url: "${SLACK_WEBHOOK_URL}"}
              rules:
                - {when: dead_letter, to: [ops]}
                - {when: consecutive_failures, target: "*", warn_at: 10, pause_at: 50, to: [ops, chat]}
                - {when: failure_rate, target: omni, above: 0.2, over: 10m, min_attempts: 20, to: [chat], repeat_every: 1h}
                - {when: signature_failures, source: "*", above: 50, over: 5m, to: [ops]}
                - {name: slow, when: oldest_waiting, above: 15m, to: [ops]}
            """,
            environment: ["ALERT_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/tok3n"])
        let alerts = configuration.alerts
        #expect(alerts.channels.map(\.description) == ["ops (webhook)", "chat (slack)"])
        #expect(alerts.channels.map(\.host) == ["ops.example.com", "hooks.slack.com"])
        #expect(alerts.rules.map(\.name) == ["dead_letter", "consecutive_failures", "failure_rate", "signature_failures", "slow"])
        #expect(alerts.rules[1].condition == .consecutiveFailures(target: .all, warnAt: 10, pauseAt: 50))
        #expect(alerts.rules[2].condition == .failureRate(target: .named("omni"), above: 0.2, over: .seconds(600), minAttempts: 20))
        #expect(alerts.rules[2].repeatEvery == .seconds(3600))
        #expect(alerts.rules[3].condition == .signatureFailures(source: .all, above: 50, over: .seconds(300)))
        #expect(alerts.rules[4].condition == .oldestWaiting(target: .all, above: .seconds(900)))
        #expect(alerts.rules[1].conditionText == "target * fails 10 attempts in a row (warning); paused at 50")
        // No channel's description or host carries its secret or the Slack token.
        #expect(!alerts.channels.map { "\($0) \($0.host)" }.joined().contains("tok3n"))
    }

    @Test("the example configuration's alerts, uncommented, load as the comments say")
    func exampleFile() throws {
        let text = try ConfigurationLoaderTests.exampleText
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("# alerts:") })
        // The block runs to the first blank line.
        let block = lines[start...].prefix { !$0.isEmpty }.map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : String($0) }.joined(separator: "\n")
        var environment = ConfigurationLoaderTests.environment
        environment["ALERT_SECRET"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        environment["SLACK_WEBHOOK_URL"] = "https://hooks.slack.com/services/T0/B0/x"
        let configuration = try ConfigurationLoaderTests.load(text + "\n" + block, environment: environment)
        #expect(configuration.alerts.channels.count == 2)
        #expect(configuration.alerts.rules.map(\.name) == ["dead_letter", "consecutive_failures", "failure_rate", "signature_failures", "oldest_waiting"])
        #expect(try ConfigurationLoaderTests.load(text).alerts.rules.isEmpty, "commented out, there are none")
    }

    @Test(
        "a rule or channel that cannot work is refused, naming the key",
        arguments: [
            ("alerts:\n  rules:\n    - {when: dead_letter, to: [nowhere]}\n", "rules[0].to: no channel named 'nowhere' (channels: )"),
            ("alerts:\n  rules:\n    - {when: dead_letters, to: [x]}\n", "rules[0].when: expected dead_letter, consecutive_failures, failure_rate, signature_failures or oldest_waiting, got 'dead_letters'"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: http://x/}\n  rules:\n    - {when: dead_letter, target: nope, to: [a]}\n", "rules[0].target: no target named 'nope' (use \"*\" for every one)"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: http://x/}\n  rules:\n    - {when: consecutive_failures, warn_at: 10, pause_at: 5, to: [a]}\n", "rules[0].pause_at: must be above warn_at (10): the warning comes before the pause"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: http://x/}\n  rules:\n    - {when: failure_rate, above: 0.2, over: 10s, to: [a]}\n", "rules[0].over: must be at least 1m"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: http://x/}\n  rules:\n    - {when: failure_rate, above: 2, over: 10m, to: [a]}\n", "rules[0].above: expected a number from 0.0 to 1.0, got '2'"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: http://x/}\n  rules:\n    - {when: dead_letter, to: []}\n", "rules[0].to: required: the channels to alert"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: http://x/}\n  rules:\n    - {when: dead_letter, to: [a]}\n    - {when: dead_letter, to: [a]}\n", "rules[1].name: a second rule named 'dead_letter': give one of them a name"),
            ("alerts:\n  channels:\n    - {name: a, kind: pager, url: http://x/}\n", "channels[0].kind: expected webhook or slack, got 'pager'"),
            ("alerts:\n  channels:\n    - {name: a, kind: slack, url: ftp://secret-token@x/}\n", "channels[0].url: expected an http:// or https:// URL"),
            ("alerts:\n  channels:\n    - {name: a, kind: webhook, url: http://x/, secret: \"whsec_%%%notbase64\"}\n", "channels[0].secret: a Standard Webhooks secret is base64 after an optional whsec_ prefix"),
        ])
    func refused(alerts: String, message: String) {
        let error = Self.error(alerts)
        #expect(error?.hasSuffix("alerts." + message) == true, "\(error ?? "loaded")")
        #expect(error?.contains("notbase64") != true && error?.contains("secret-token") != true)
    }

    @Test("without an alerts section there are no channels and no rules")
    func none() throws {
        #expect(try Self.load("").alerts == AlertSettings())
    }
}

@Suite("configuration: console")
struct ConsoleConfigurationTests {
    static let hash = SHA256Digest.hex("hlc_example")

    @Test("console: listen, public_url and tokens by hash; the hash is SHA-256 of the token")
    func loads() throws {
        #expect(SHA256Digest.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "FIPS 180-2's example")
        let configuration = try ConfigurationLoaderTests.load(
            ConfigurationLoaderTests.minimal + """

                console:
                  listen: 0.0.0.0:9191
                  public_url: https://hookline.example/
                  tokens:
                    - {name: on-call, role: operator, sha256: "\(Self.hash)"}
                    - {name: ci, sha256: "\(Self.hash.uppercased())"}
                """)
        let console = try #require(configuration.console)
        #expect(console.host == "0.0.0.0" && console.port == 9191 && console.publicURL == "https://hookline.example")
        #expect(console.tokens.map(\.description) == ["on-call (operator)", "ci (viewer)"])
        #expect(console.tokens[0].sha256 == SHA256Digest.hash(Array("hlc_example".utf8)))
        #expect(try ConfigurationLoaderTests.load(ConfigurationLoaderTests.minimal).console == nil, "off unless configured")
    }

    @Test("a token pasted where its hash belongs is refused without being repeated; no tokens is refused")
    func refused() {
        let pasted = ConfigurationLoaderTests.error(
            ConfigurationLoaderTests.minimal + "\nconsole:\n  tokens:\n    - {name: a, sha256: hlc_secret_token_value}\n")
        #expect(pasted?.contains("expected the token's SHA-256 as 64 hex digits") == true, "\(pasted ?? "")")
        #expect(pasted?.contains("hlc_secret_token_value") == false)
        #expect(
            ConfigurationLoaderTests.error(ConfigurationLoaderTests.minimal + "\nconsole:\n  listen: 127.0.0.1:9090\n")?.hasSuffix(
                "console.tokens: required: at least one token (hookline console-token makes one)") == true)
        #expect(
            ConfigurationLoaderTests.error(ConfigurationLoaderTests.minimal + "\nconsole:\n  tokens:\n    - {name: a, role: admin, sha256: \"\(Self.hash)\"}\n")?
                .hasSuffix("role: expected viewer or operator, got 'admin'") == true)
    }
}
