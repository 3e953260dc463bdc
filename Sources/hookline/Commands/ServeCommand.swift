import ArgumentParser
import HooklineCore
import HooklineServer
import Logging
import ServiceLifecycle

/// `hookline serve --config FILE`: run as a webhook endpoint until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run Hookline as a webhook endpoint until SIGTERM or SIGINT."
    )

    @Option(help: "The YAML configuration file.")
    var config: String = "hookline.yaml"

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "hookline")
        logger.logLevel = .info
        let service = HooklineService(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            throw CommandFailure.runtime("\(error)")
        }
    }
}
