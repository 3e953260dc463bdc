import Foundation
import HooklineCore
import Testing

@Suite("configuration")
struct ConfigurationLoaderTests {
    static let environment = [
        "BUILDR_WEBHOOK_SECRET": "buildr-hook-secret", "PLANNR_SIGNING_SECRET": String(repeating: "s", count: 60),
        "STANDARD_WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "BUILDR_CLIENT_ID": "client",
        "BUILDR_CLIENT_SECRET": "client-secret", "PLANNR_TOKEN": "plannr-token",
        "PLANNR_ACCOUNT_UUID": "ca4c0830-f7f6-4377-ad59-166dd85ae95d", "OMNICHANNEL_API_KEY": "omni-key",
    ]

    static var exampleText: String {
        get throws {
            let url = Fixtures.root.deletingLastPathComponent().appendingPathComponent("deploy/hookline.example.yaml")
            return try String(contentsOf: url, encoding: .utf8)
        }
    }

    static func load(_ yaml: String, environment: [String: String] = environment) throws -> HooklineConfiguration {
        try ConfigurationLoader.load(yaml: yaml, file: "test.yaml", environment: environment)
    }

    static func error(_ yaml: String, environment: [String: String] = environment) -> String? {
        do {
            _ = try load(yaml, environment: environment)
            return nil
        } catch {
            return (error as? ConfigurationError)?.description
        }
    }

    static let minimal = """
        sources:
          - name: standard
            kind: standard
            signature: {scheme: standard-webhooks, secret: "${STANDARD_WEBHOOK_SECRET}"}
        """

    @Test("the documented example loads with its variables set")
    func example() throws {
        let configuration = try Self.load(try Self.exampleText)
        #expect(configuration.sources.map(\.name) == ["buildr", "plannr", "standard"])
        #expect(configuration.targets.map(\.kind) == [.buildr, .plannr, .omnichannel])
        #expect(configuration.routes.count == 5)
        #expect(configuration.server.maxBodyBytes == 1 << 20)
        #expect(configuration.queue.dedupMaxAge == .seconds(86_400))
        #expect(configuration.target(named: "buildr")?.rateLimit == RateLimitSettings(requests: 10, period: .seconds(10), burst: 9))
        #expect(configuration.target(named: "plannr")?.rateLimit == RateLimitSettings(requests: 500, period: .seconds(60), burst: 1))
        #expect(configuration.target(named: "omnichannel")?.baseURL == "https://api.omnichannel.example/v1")
        #expect(configuration.source(named: "buildr")?.resolveWith == "buildr")
        #expect(configuration.routes[0].contactID == .field("custom_fields.plannr_account_uuid"))
        #expect(configuration.routes[0].events == [.created, .updated])
    }

    @Test("defaults apply to every section left out")
    func defaults() throws {
        let configuration = try Self.load(Self.minimal)
        #expect(configuration.server.port == 8080)
        #expect(configuration.audit.fsync == .batch)
        #expect(configuration.queue.capacity == 100_000)
        #expect(configuration.retry.maxAttempts == 10)
    }

    @Test("a typo'd key is named with a suggestion and its line")
    func typo() {
        let yaml = "server:\n  prot: 9000\n" + Self.minimal
        #expect(
            Self.error(yaml)
                == "test.yaml:2: server.prot: unknown key 'prot' (did you mean 'port'?); expected one of: host, port, max_body_bytes, max_header_bytes, request_timeout, idle_timeout, drain_timeout, event_loops, max_connections, trusted_proxies, proxy_protocol"
        )
    }

    @Test("an unset environment variable is named, never a secret value")
    func missingVariable() {
        var environment = Self.environment
        environment["STANDARD_WEBHOOK_SECRET"] = nil
        #expect(Self.error(Self.minimal, environment: environment) == "test.yaml:4: sources[0].signature.secret: environment variable STANDARD_WEBHOOK_SECRET is not set")
    }

    @Test("a bad secret is reported without its value")
    func badSecret() {
        let message = Self.error(Self.minimal, environment: ["STANDARD_WEBHOOK_SECRET": "whsec_%%%notbase64"])
        #expect(message == "test.yaml:4: sources[0].signature.secret: a Standard Webhooks secret is base64 after an optional whsec_ prefix")
        #expect(message?.contains("notbase64") == false)
    }

    @Test(
        "bad values name the key",
        arguments: [
            ("server:\n  port: eighty\n", "test.yaml:2: server.port: expected a whole number from 0 to 65535, got 'eighty'"),
            ("audit:\n  fsync: always\n", "test.yaml:2: audit.fsync: expected batch or none, got 'always'"),
            ("queue:\n  retry_after: soon\n", "test.yaml:2: queue.retry_after: expected a duration such as 500ms, 10s, 5m or 24h (at most 100 years), got 'soon'"),
            ("routes:\n  - {from: standard, to: nowhere}\n", "test.yaml:2: routes[0].to: no target named 'nowhere'"),
        ])
    func badValues(prefix: String, message: String) {
        #expect(Self.error(prefix + Self.minimal) == message)
    }

    @Test("an unknown scheme, an unknown kind and a missing signature are named")
    func sourceErrors() {
        #expect(
            Self.error("sources:\n  - {name: a, kind: standard, signature: {scheme: hamc, secret: x}}\n")
                == "test.yaml:2: sources[0].signature.scheme: unknown scheme 'hamc' (expected one of: standard-webhooks, stripe, github, plannr, hmac)")
        #expect(
            Self.error("sources:\n  - {name: a, kind: hubspot, signature: {scheme: plannr, secret: x}}\n")
                == "test.yaml:2: sources[0].kind: unknown source kind 'hubspot' (expected one of: buildr, plannr, standard)")
        #expect(Self.error("sources:\n  - {name: a, kind: plannr}\n") == "test.yaml:2: sources[0].signature: required: how this source signs its webhooks")
        #expect(Self.error("sources:\n  - {name: 'a b', kind: plannr, signature: {scheme: plannr, secret: x}}\n")?.contains("may only contain") == true)
    }

    @Test("an empty file and invalid YAML are clear errors")
    func emptyAndInvalid() {
        #expect(Self.error("") == "test.yaml: the file is empty; at least one source is required")
        #expect(Self.error("server: [unclosed")?.hasPrefix("test.yaml: not valid YAML:") == true)
    }

    @Test("durations, sizes and variable defaults parse")
    func values() throws {
        #expect(ConfigurationValues.duration("250ms") == .milliseconds(250))
        #expect(ConfigurationValues.duration("5m") == .seconds(300))
        #expect(ConfigurationValues.duration("1.5s") == .milliseconds(1500))
        #expect(ConfigurationValues.duration("2") == .seconds(2))
        #expect(ConfigurationValues.size("512KiB") == 524_288)
        #expect(ConfigurationValues.size("1MiB") == 1_048_576)
        #expect(try ConfigurationValues.expand("${A:-x}/${B}", environment: ["B": "y"]) == "x/y")
    }

    @Test("a size or duration too large to hold, or not a number, is an error, never a trap")
    func hugeValues() {
        // The fuzzer's find: 55 digits of KiB overflowed the conversion to Int.
        let digits = "1" + String(repeating: "8", count: 54)
        #expect(ConfigurationValues.size(digits + "KiB") == nil)
        #expect(ConfigurationValues.size("1e300B") == nil)
        #expect(ConfigurationValues.size("inf MiB") == nil)
        #expect(ConfigurationValues.size("nanKB") == nil)
        #expect(ConfigurationValues.size("-1KiB") == nil)
        #expect(ConfigurationValues.size("8589934592GiB") == nil)  // 2^63 bytes: one past Int64.max
        #expect(ConfigurationValues.size("8589934591GiB") == 9_223_372_035_781_033_984)
        #expect(ConfigurationValues.size("0.5KiB") == 512)
        #expect(ConfigurationValues.size(digits) == nil)

        for text in [digits + "s", "1e300ms", "inf", "infinity", "nan", "-5s", "36501d", "876001h"] {
            #expect(ConfigurationValues.duration(text) == nil, "\(text)")
        }
        #expect(ConfigurationValues.duration("36500d") == ConfigurationValues.longestDuration)
        #expect(ConfigurationValues.duration("0") == .zero)

        #expect(
            Self.error("server:\n  max_header_bytes: \(digits)KiB\n" + Self.minimal)
                == "test.yaml:2: server.max_header_bytes: expected a size such as 1048576, 512KiB or 1MiB, got '\(digits)KiB'")
        // Past a hundred years is refused: deadlines add durations to clock readings in nanoseconds.
        #expect(
            Self.error("server:\n  request_timeout: 100000000000s\n" + Self.minimal)
                == "test.yaml:2: server.request_timeout: expected a duration such as 500ms, 10s, 5m or 24h (at most 100 years), got '100000000000s'")
    }

    @Test("server.max_connections and audit.rejected are read, with their defaults")
    func hostileInputLimits() throws {
        let defaults = try Self.load(Self.minimal)
        #expect(defaults.server.maxConnections == 1024)
        #expect(defaults.audit.rejectedLines == RejectionBudget.Limits(linesPerReason: 20, linesTotal: 120, window: .seconds(60)))
        let tuned = try Self.load(
            "server: {max_connections: 64}\naudit: {rejected: {lines_per_reason: 0, lines_total: 10, window: 30s}}\n" + Self.minimal)
        #expect(tuned.server.maxConnections == 64)
        #expect(tuned.audit.rejectedLines == RejectionBudget.Limits(linesPerReason: 0, linesTotal: 10, window: .seconds(30)))
        #expect(Self.error("audit: {rejected: {window: 10ms}}\n" + Self.minimal) == "test.yaml:1: audit.rejected.window: must be at least 100ms")
        #expect(Self.error("server: {max_connections: 0}\n" + Self.minimal)?.contains("server.max_connections") == true)
    }

    @Test("'unknown' cannot name a source: metrics count made-up names under it")
    func reservedSourceName() {
        let yaml = Self.minimal.replacingOccurrences(of: "name: standard", with: "name: unknown")
        #expect(Self.error(yaml)?.contains("'unknown' is reserved") == true)
    }
}
