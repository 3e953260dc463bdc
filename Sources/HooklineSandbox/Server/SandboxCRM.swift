import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// One loopback HTTP server speaking the three CRM APIs as their documentation describes —
/// Buildr under `/buildr`, Plannr under `/plannr/api/v2`, the X-Api-Key API under
/// `/omnichannel` — with state tests can read and faults they can inject.
package final class SandboxCRM: Sendable {
    let state: SandboxState
    private let channel: any Channel
    package let configuration: SandboxConfiguration

    /// `http://127.0.0.1:<port>`.
    package var baseURL: String { "http://127.0.0.1:\(port)" }
    package var port: Int { channel.localAddress?.port ?? 0 }

    private init(state: SandboxState, channel: any Channel, configuration: SandboxConfiguration) {
        self.state = state
        self.channel = channel
        self.configuration = configuration
    }

    /// Starts the sandbox on `host:port` (0 picks a free port).
    package static func start(
        configuration: SandboxConfiguration = SandboxConfiguration(),
        host: String = "127.0.0.1",
        port: Int = 0,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SandboxCRM {
        let state = SandboxState(configuration: configuration)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOHTTPServerRequestAggregator(maxContentLength: 4 << 20),
                        SandboxHTTPHandler(state: state),
                    ])
                }
            }
            .bind(host: host, port: port).get()
        return SandboxCRM(state: state, channel: channel, configuration: configuration)
    }

    package func stop() async {
        try? await channel.close()
    }

    // MARK: - Faults

    /// Injects a fault into the next matching requests.
    package func inject(_ fault: SandboxFault) {
        state.contents.withLock { $0.faults.append(fault) }
    }

    package func clearFaults() {
        state.contents.withLock { $0.faults.removeAll() }
    }

    /// Invalidates every Buildr token (the next call gets 401 and must refresh).
    package func revokeBuildrTokens() {
        state.contents.withLock { $0.buildr.revokeTokens() }
    }

    // MARK: - State

    /// Every request received so far, in arrival order.
    package var requests: [SandboxRequest] { state.contents.withLock { $0.requests } }

    package func requests(pathPrefix: String) -> [SandboxRequest] { requests.filter { $0.path.hasPrefix(pathPrefix) } }

    package func buildrContact(_ id: String) -> JSONObject? { state.contents.withLock { $0.buildr.contacts[id] } }

    /// The Plannr contact details owned by `account`, in creation order.
    package func plannrDetails(account: String) -> [SandboxContactDetail] {
        state.contents.withLock { state in
            state.plannr.order.compactMap { state.plannr.details[$0] }.filter { $0.accountUUIDs.contains(account) }
        }
    }

    /// The omnichannel contact whose id or external reference is `reference`.
    package func omnichannelContact(_ reference: String) -> JSONObject? {
        state.contents.withLock { state in
            state.omnichannel.contacts[reference] ?? state.omnichannel.contacts.values.first { $0["external_reference_id"]?.stringValue == reference }
        }
    }
}

/// Runs a sandbox CRM for the length of `body` and stops it afterwards, whatever `body` does.
package func withSandboxCRM<Result: Sendable>(
    configuration: SandboxConfiguration = SandboxConfiguration(),
    _ body: (SandboxCRM) async throws -> Result
) async throws -> Result {
    let sandbox = try await SandboxCRM.start(configuration: configuration)
    do {
        let result = try await body(sandbox)
        await sandbox.stop()
        return result
    } catch {
        await sandbox.stop()
        throw error
    }
}

extension SandboxCRM {
    /// The `sources`, `targets` and `routes` of a Hookline configuration that takes signed
    /// Standard Webhooks deliveries at `/webhooks/standard` and applies them at this sandbox's
    /// omnichannel contacts API (what the benchmarks and the load tests run).
    package func standardToOmnichannelYAML(secret: String, timeout: String? = nil) -> String {
        """
        sources:
          - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "\(secret)"}}
        targets:
          - {name: omnichannel, kind: omnichannel, base_url: "\(baseURL)/omnichannel", api_key: omni-key\(timeout.map { ", timeout: \($0)" } ?? "")}
        routes:
          - {from: standard, to: omnichannel, contact_id: source_id}
        """
    }
}
