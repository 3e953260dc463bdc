import ArgumentParser
import HooklineSandbox
import Logging
import ServiceLifecycle

/// The sandbox CRMs as their own process, for benchmarks.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sandbox", abstract: "Serve the sandbox CRMs until SIGTERM.")

    @Option var port: Int = 0
    @Flag(help: "Do not enforce the CRMs' rate limits (throughput runs).") var noRateLimits = false
    @Flag(help: "Do not keep a log of requests (long runs).") var noRecord = false

    func run() async throws {
        let sandbox = try await SandboxCRM.start(
            configuration: SandboxConfiguration(rateLimits: !noRateLimits, recordRequests: !noRecord, createUnknownContacts: true), port: port)
        print("sandbox listening on \(sandbox.baseURL)")
        let waiter = ClosureService { try? await gracefulShutdown() }
        try await ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: waiter)], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "sandbox"))
        ).run()
        await sandbox.stop()
    }
}
