import ArgumentParser
import HooklineCore
import HooklineServer
import Logging

/// `hookline migrate --config FILE`: brings a shared store's schema up to date, alone.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the PostgreSQL store's schema migrations, then exit.",
        discussion: """
            Every `hookline serve` with store.kind postgres runs the migrations it needs \
            at start, under an advisory lock, so instances starting together do not race. \
            Run this instead ahead of a rollout (a Kubernetes Job, a deploy step) when the \
            role instances use may not change the schema, or to see that the database is \
            reachable and current. Running it again is harmless.

            Example:
              DATABASE_URL=postgres://hookline:…@db:5432/hookline \\
                hookline migrate --config hookline.yaml
            """
    )

    @Option(help: "The YAML configuration file (its store section is used).")
    var config: String = "hookline.yaml"

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        guard case .postgres(let settings) = configuration.store else {
            throw CommandFailure.usage("\(config): store.kind is file; there is nothing to migrate (the audit log is the journal)")
        }
        let logger = Logger(label: "hookline", factory: { _ in SwiftLogNoOpLogHandler() })
        let applied: [Int]
        do {
            applied = try await PostgresDatabase.migrate(settings: settings, logger: logger)
        } catch {
            throw CommandFailure.runtime("\(error)")
        }
        let version = PostgresDatabase.schemaVersion
        if applied.isEmpty {
            Console.show("\(settings.url): the schema is current (version \(version))")
        } else {
            Console.show("\(settings.url): applied migration\(applied.count == 1 ? "" : "s") \(applied.map(String.init).joined(separator: ", ")); the schema is at version \(version)")
        }
    }
}
