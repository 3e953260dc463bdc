import HooklineCore
import HooklineServer
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The web console as a service of a running Hookline: bound at start (a port in use fails
/// the start, naming it), closed at shutdown.
package struct ConsoleService: Service {
    let channel: any Channel
    let logger: Logger

    /// Binds the console `settings` describe, for `running`.
    package static func start(running: RunningHookline, settings: ConsoleSettings, logger: Logger) async throws -> ConsoleService {
        let app = try ConsoleApp(running: running, settings: settings)
        let channel = try await ConsoleListener.bind(host: settings.host, port: settings.port, app: app, group: MultiThreadedEventLoopGroup.singleton)
        logger.info("the console listens", metadata: ["url": .string("http://\(settings.host):\(channel.localAddress?.port ?? settings.port)")])
        return ConsoleService(channel: channel, logger: logger)
    }

    /// The port it is bound to.
    package var port: Int { channel.localAddress?.port ?? 0 }

    package func run() async {
        try? await gracefulShutdown()
        do {
            try await channel.close()
        } catch {
            logger.warning("the console did not close cleanly", metadata: ["error": "\(error)"])
        }
    }
}
