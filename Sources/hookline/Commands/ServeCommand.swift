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

    @Option(help: "Log format: auto (human on a terminal, JSON lines otherwise), human or json.")
    var logFormat: LogFormat = .auto

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical. At info, Hookline is quiet per request.")
    var logLevel: Logger.Level = .info

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        logFormat.bootstrap(level: logLevel)
        let logger = Logger(label: "hookline")
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

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
