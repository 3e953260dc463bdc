import ArgumentParser
import HooklineConsole
import HooklineCore
import HooklineServer
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

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
        // A SIGHUP before the reload service listens for it (during recovery) is ignored rather
        // than ending the process, its default; the file is read at start anyway.
        signal(SIGHUP, SIG_IGN)
        let configuration: HooklineConfiguration
        let hash: String
        do {
            (configuration, hash) = try ConfigurationFile.read(config)
        } catch {
            throw CommandFailure.usage("\(error)")
        }
        logFormat.bootstrap(level: logLevel)
        let logger = Logger(label: "hookline")
        var options = HooklineRuntime.Options()
        // SIGHUP and `hookline reload` read the same file again.
        let path = config
        options.configurationSource = ConfigurationSource(hash: hash) { try ConfigurationFile.read(path) }
        options.services = { running in
            guard let console = configuration.console else { return [] }
            return [try await ConsoleService.start(running: running, settings: console, logger: logger)]
        }
        let runtime = HooklineRuntime(configuration: configuration, options: options, logger: logger) { running in
            Self.announce(running, logger: logger)
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: runtime)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            throw CommandFailure.runtime("\(error)")
        }
        logger.info("stopped")
    }

    /// The start-up line, with what recovery found.
    private static func announce(_ running: RunningHookline, logger: Logger) {
        let configuration = running.configuration
        let recovery = running.recovery
        logger.info(
            "listening",
            metadata: [
                "address": "http://\(configuration.server.host):\(running.port)",
                "sources": .string(configuration.sources.map(\.name).joined(separator: ",")),
                "audit": .string(configuration.audit.path),
                "recovered_events": "\(recovery.recoveredEvents)",
                "log_lines": "\(recovery.lines)",
                "recovery_seconds": "\(Double(Int(recovery.seconds * 1000)) / 1000)",
            ])
        if recovery.unreadableLines > 0 || recovery.truncatedBytes > 0 {
            logger.warning(
                "the audit log had damaged lines",
                metadata: ["unreadable_lines": "\(recovery.unreadableLines)", "truncated_bytes": "\(recovery.truncatedBytes)"])
        }
    }
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
