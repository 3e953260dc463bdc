import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 listener: SwiftNIO's server bootstrap with NIO's HTTP codec, bounded headers,
/// an idle timeout for keep-alive connections and a deadline for each request — and memory per
/// connection bounded whatever the peer does: reads stop while answers are not being read,
/// pipelined requests are capped, and connections beyond `server.max_connections` are refused.
package final class WebhookListener: Sendable {
    private let channel: any Channel
    private let gate: ConnectionGate

    /// Requests a connection may pipeline ahead of their answers.
    static let maxPipelinedRequests = 64
    /// Pending answer bytes past which a connection stops being read (and back below which it
    /// resumes).
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 << 10, high: 64 << 10)
    /// How long a connection over the limit may take to send the request it is refused.
    static let refusedConnectionTimeout = TimeAmount.seconds(1)

    /// The address actually bound (the port is real when the configuration asked for 0).
    package var localAddress: SocketAddress? { channel.localAddress }

    /// The bound port.
    package var port: Int { channel.localAddress?.port ?? 0 }

    /// Connections open and admitted right now.
    package var openConnections: Int { gate.open }

    private init(channel: any Channel, gate: ConnectionGate) {
        self.channel = channel
        self.gate = gate
    }

    /// Binds and starts serving.
    static func bind(
        settings: ServerSettings,
        ingest: WebhookIngest,
        surface: HTTPSurface,
        metrics: HooklineMetrics?,
        group: any EventLoopGroup
    ) async throws -> WebhookListener {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = settings.maxHeaderBytes
        decoderLimits.maxHeaderFieldSize = settings.maxHeaderBytes
        decoderLimits.maxHeaderFieldCount = 256
        let limits = decoderLimits
        let idle = TimeAmount.milliseconds(settings.idleTimeout.wholeMilliseconds)
        let deadline = TimeAmount.milliseconds(settings.requestTimeout.wholeMilliseconds)
        let maxBody = settings.maxBodyBytes
        let maxHeader = settings.maxHeaderBytes
        let trustedProxies = settings.trustedProxies
        let proxyProtocol = settings.proxyProtocol
        let gate = ConnectionGate(maximum: settings.maxConnections)
        let executors = LoopExecutor.Table(group)
        let refusal = HTTPAnswer.error(
            503, "too many connections (server.max_connections is \(settings.maxConnections)); retry shortly",
            headers: [HeaderField(name: "Retry-After", value: "1")], close: true)

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.writeBufferWaterMark, value: writeBufferWaterMark)
            .childChannelInitializer { channel in
                let admitted = gate.admit()
                if admitted {
                    channel.closeFuture.whenComplete { _ in gate.release() }
                } else {
                    metrics?.connectionRefused()
                }
                do {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandlers([
                        WriteBackpressureHandler(stallTimeout: deadline),
                        IdleStateHandler(readTimeout: admitted ? idle : min(idle, refusedConnectionTimeout)),
                        RequestDeadlineHandler(timeout: admitted ? deadline : min(deadline, refusedConnectionTimeout)),
                    ])
                    // NIO parses requests and orders pipelined ones; answers are written by
                    // HTTPAnswerEncoder (one reused buffer per connection). Every response header
                    // is Hookline's own constant or number. Parser errors are answered by
                    // WebhookHTTPHandler (431 for oversize headers).
                    let depth = PipelineDepth(limit: maxPipelinedRequests)
                    let client = ConnectionClient()
                    if proxyProtocol { try sync.addHandler(ProxyProtocolHandler(client: client, trustedProxies: trustedProxies)) }
                    try sync.addHandlers([
                        HTTPAnswerEncoder(),
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)),
                        PipelinedRequestLimit(depth: depth),
                        HTTPServerPipelineHandler(),
                    ])
                    try sync.addHandler(
                        WebhookHTTPHandler(
                            ingest: ingest, surface: surface, maxBodyBytes: maxBody, maxHeaderBytes: maxHeader, depth: depth,
                            executor: executors[channel.eventLoop], metrics: metrics, refusal: admitted ? nil : refusal,
                            trustedProxies: trustedProxies, client: client))
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
        let channel = try await bootstrap.bind(host: settings.host, port: settings.port).get()
        return WebhookListener(channel: channel, gate: gate)
    }

    /// Stops accepting connections.
    package func close() async throws {
        try await channel.close()
    }
}
