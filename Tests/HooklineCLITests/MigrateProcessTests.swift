import Foundation
import HooklineTestSupport
import Testing

/// `hookline migrate` and `check-config` with a PostgreSQL store, as a user runs them.
@Suite("hookline migrate and check-config on PostgreSQL, as a process", .serialized, .timeLimit(.minutes(2)))
struct MigrateProcessTests {
    /// The example configuration with its store switched to PostgreSQL at `${DATABASE_URL}`.
    static func postgresConfiguration(in directory: TemporaryDirectory) throws -> String {
        // The example itself, in postgres mode through HOOKLINE_STORE, from another directory.
        let path = directory.file("hookline.yaml")
        try String(contentsOfFile: ServeProcessTests.example, encoding: .utf8).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("migrate applies the schema once, then says it is current; check-config shows the store without its password")
    func migrate() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        let directory = try TemporaryDirectory()
        let path = try Self.postgresConfiguration(in: directory)
        var environment = ServeProcessTests.secrets
        // The test cluster trusts loopback, so any password goes; it must never be printed.
        environment["HOOKLINE_STORE"] = "postgres"
        environment["DATABASE_URL"] = cluster.url(database).replacingOccurrences(of: "postgres@", with: "postgres:pg-s3cret@")

        let first = try await ServeProcessTests.run(["migrate", "--config", path], environment: environment)
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.contains("applied migrations 1, 2, 3, 4, 5, 6, 7, 8; the schema is at version 8"), "\(first.output)")
        let again = try await ServeProcessTests.run(["migrate", "--config", path], environment: environment)
        #expect(again.status == 0)
        #expect(again.output.contains("the schema is current (version 8)"), "\(again.output)")
        #expect(try await cluster.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM hookline_migrations", database: database) == "1,2,3,4,5,6,7,8\n")

        let check = try await ServeProcessTests.run(["check-config", path], environment: environment)
        #expect(check.status == 0, "\(check.error)")
        #expect(check.output.contains("store      postgres postgres://postgres:***@127.0.0.1:\(cluster.port)/\(database)?sslmode=disable (pool 10, lease 30s, retention 7d, adopt after 1h)"), "\(check.output)")
        for output in [first.output, first.error, again.output, check.output, check.error] {
            #expect(!output.contains("pg-s3cret"), "the password is never shown")
        }
    }

    @Test("migrate with a file store, or a database that is not there, says so in a sentence")
    func migrateErrors() async throws {
        let file = try await ServeProcessTests.run(["migrate", "--config", ServeProcessTests.example], environment: ServeProcessTests.secrets)
        #expect(file.status == 2)
        #expect(file.error.contains("store.kind is file; there is nothing to migrate"), "\(file.error)")

        let directory = try TemporaryDirectory()
        let path = try Self.postgresConfiguration(in: directory)
        var environment = ServeProcessTests.secrets
        environment["HOOKLINE_STORE"] = "postgres"
        environment["DATABASE_URL"] = "postgres://hookline:pg-s3cret@127.0.0.1:\(try ServeProcessTests.freePort())/hookline?sslmode=disable"
        let refused = try await ServeProcessTests.run(["migrate", "--config", path], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.error.hasPrefix("hookline: cannot use the database at postgres://hookline:***@127.0.0.1:"), "\(refused.error)")
        #expect(!refused.error.contains("pg-s3cret"))

        environment["DATABASE_URL"] = "postgres://hookline:pg-s3cret@127.0.0.1/hookline?sslmode=sometimes"
        let bad = try await ServeProcessTests.run(["check-config", path], environment: environment)
        #expect(bad.status == 2)
        #expect(bad.error.contains("store.url: not a PostgreSQL URL: sslmode must be one of disable, prefer, require"), "\(bad.error)")
        #expect(!bad.error.contains("pg-s3cret"))

        environment["HOOKLINE_STORE"] = nil
        let urlWithFile = try await ServeProcessTests.run(["check-config", path], environment: environment)
        #expect(urlWithFile.status == 2)
        #expect(urlWithFile.error.contains("store.url: is for kind: postgres; with kind: file the audit log is the journal"), "\(urlWithFile.error)")
        #expect(!urlWithFile.error.contains("pg-s3cret"))
    }

    @Test("the fleet's example environment (deploy/fleet.env.example, used by deploy/compose.yaml) passes check-config in postgres mode")
    func fleetExample() async throws {
        let text = try String(contentsOfFile: ServeProcessTests.example.replacingOccurrences(of: "hookline.example.yaml", with: "fleet.env.example"), encoding: .utf8)
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
        }
        environment["HOOKLINE_STORE"] = "postgres"
        environment["DATABASE_URL"] = "postgres://hookline:hookline-local-only@postgres:5432/hookline?sslmode=disable"
        let check = try await ServeProcessTests.run(["check-config", ServeProcessTests.example], environment: environment)
        #expect(check.status == 0, "\(check.error)")
        #expect(check.output.contains("store      postgres postgres://hookline:***@postgres:5432/hookline?sslmode=disable"), "\(check.output)")
    }
}
