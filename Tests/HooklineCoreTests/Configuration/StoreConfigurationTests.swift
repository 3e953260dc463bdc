import HooklineCore
import Testing

/// `store:`, and the PostgreSQL URL it carries.
@Suite("configuration: the store section")
struct StoreConfigurationTests {
    static func load(_ store: String, environment: [String: String] = ConfigurationLoaderTests.environment) throws -> HooklineConfiguration {
        try ConfigurationLoaderTests.load(ConfigurationLoaderTests.minimal + "\nstore: \(store)\n", environment: environment)
    }

    static func error(_ store: String) -> String? {
        ConfigurationLoaderTests.error(ConfigurationLoaderTests.minimal + "\nstore: \(store)\n")
    }

    @Test("the file store is the default, and says so")
    func fileByDefault() throws {
        #expect(try ConfigurationLoaderTests.load(ConfigurationLoaderTests.minimal).store == .file)
        #expect(try Self.load("{kind: file}").store == .file)
        #expect(Self.error("{kind: file, url: \"postgres://u@h/d\"}")?.contains("url") == true)
    }

    @Test("a postgres store with every key, the URL from the environment")
    func postgres() throws {
        var environment = ConfigurationLoaderTests.environment
        environment["DATABASE_URL"] = "postgres://hookline:s3cr%40t@db.internal:6432/hooks?sslmode=require"
        let configuration = try Self.load(
            "{kind: postgres, url: \"${DATABASE_URL}\", pool_size: 4, lease: 10s, retention: 2d, adopt_after: 30m}", environment: environment)
        guard case .postgres(let settings) = configuration.store else {
            Issue.record("not a postgres store")
            return
        }
        #expect(settings.url == PostgresURL(user: "hookline", password: "s3cr@t", host: "db.internal", port: 6432, database: "hooks", tls: .require))
        #expect(settings.poolSize == 4)
        #expect(settings.lease == .seconds(10))
        #expect(settings.retention == .seconds(2 * 86_400))
        #expect(settings.adoptAfter == .seconds(1800))
        #expect("\(settings.url)" == "postgres://hookline:***@db.internal:6432/hooks?sslmode=require", "the password never prints")
    }

    @Test("defaults: 10 connections, a 30 s lease, 7 days' retention, adoption after an hour")
    func defaults() throws {
        guard case .postgres(let settings) = try Self.load("{kind: postgres, url: \"postgres://u@h/d\"}").store else {
            Issue.record("not a postgres store")
            return
        }
        #expect(settings.poolSize == 10 && settings.lease == .seconds(30) && settings.retention == .seconds(7 * 86_400))
        #expect(settings.adoptAfter == .seconds(3600))
        #expect(settings.url.port == 5432 && settings.url.tls == .prefer && settings.url.password == nil)
    }

    @Test("each bad value is named, and the password is never repeated")
    func errors() {
        let cases: [(String, String)] = [
            ("{kind: sqlite}", "expected file or postgres"),
            ("{kind: postgres}", "url"),
            ("{kind: postgres, url: \"mysql://u:hunter2@h/d\"}", "expected postgres://"),
            ("{kind: postgres, url: \"postgres://u:hunter2@h\"}", "no database name"),
            ("{kind: postgres, url: \"postgres://:hunter2@h/d\"}", "no user name"),
            ("{kind: postgres, url: \"postgres://u:hunter2@h:99999/d\"}", "port"),
            ("{kind: postgres, url: \"postgres://u:hunter2@h/d?sslmode=maybe\"}", "sslmode must be one of disable, prefer, require"),
            ("{kind: postgres, url: \"postgres://u:hunter2@h/d?connect_timeout=3\"}", "unknown parameter 'connect_timeout'"),
            ("{kind: postgres, url: \"postgres://u@h/d\", pool_size: 0}", "pool_size"),
            ("{kind: postgres, url: \"postgres://u@h/d\", pool_size: 1}", "pool_size"),
            ("{kind: postgres, url: \"postgres://u@h/d\", lease: 500ms}", "at least 1s"),
            ("{kind: postgres, url: \"postgres://u@h/d\", retention: 1h}", "queue.dedup.max_age"),
            ("{kind: postgres, url: \"postgres://u@h/d\", lease: 1m, adopt_after: 90s}", "at least twice the lease (2m)"),
            ("{kind: postgres, url: \"postgres://u@h/d\", lease_time: 1m}", "lease_time"),
        ]
        for (store, expected) in cases {
            let message = Self.error(store)
            #expect(message?.contains(expected) == true, "\(store): \(message ?? "loaded")")
            #expect(message?.contains("hunter2") != true, "\(store) repeats the password")
        }
    }

    @Test("a lease too short for the slowest target's calls is refused, naming the target and the shortest lease that would do")
    func leaseCoversTimeouts() throws {
        let targets = """
            targets:
              - {name: quick, kind: omnichannel, base_url: "http://127.0.0.1:9", api_key: k, timeout: 2s}
              - {name: slow, kind: omnichannel, base_url: "http://127.0.0.1:9", api_key: k, timeout: 25s}
            """
        func error(_ store: String) -> String? {
            ConfigurationLoaderTests.error(ConfigurationLoaderTests.minimal + "\n" + targets + "\nstore: \(store)\n")
        }
        let message = error("{kind: postgres, url: \"postgres://u@h/d\", lease: 20s}")
        #expect(message?.contains("store.lease") == true && message?.contains("target slow") == true && message?.contains("at least 34667ms") == true, "\(message ?? "loaded")")
        #expect(error("{kind: postgres, url: \"postgres://u@h/d\"}")?.contains("30s (the default) is too short for target slow") == true)
        #expect(error("{kind: postgres, url: \"postgres://u@h/d\", lease: 35s}") == nil)
        #expect(error("{kind: file}") == nil, "a file store holds no leases")
    }

    @Test("the default retention never cuts the dedup window short")
    func retentionFollowsDedup() throws {
        let yaml = ConfigurationLoaderTests.minimal + "\nqueue: {dedup: {max_age: 30d}}\nstore: {kind: postgres, url: \"postgres://u@h/d\"}\n"
        guard case .postgres(let settings) = try ConfigurationLoaderTests.load(yaml).store else {
            Issue.record("not a postgres store")
            return
        }
        #expect(settings.retention == .seconds(30 * 86_400))
    }

    @Test("URLs as libpq users write them")
    func urls() throws {
        #expect(try PostgresURL(parsing: "postgresql://u@[::1]:5433/d") == PostgresURL(user: "u", password: nil, host: "::1", port: 5433, database: "d"))
        #expect(try PostgresURL(parsing: "postgres://u:@h/d").password == "")
        #expect(try PostgresURL(parsing: "postgres://u:a%3Ab%2Fc@h/d%20x").password == "a:b/c")
        #expect(try PostgresURL(parsing: "postgres://u:a%3Ab%2Fc@h/d%20x").database == "d x")
        #expect(try PostgresURL(parsing: "postgres://u:p@w@h/d").password == "p@w", "the last @ ends the credentials")
        #expect(try PostgresURL(parsing: "postgres://u@h/d?sslmode=disable").tls == .disable)
    }
}
