import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 listener: SwiftNIO's server bootstrap with NIO's HTTP codec, bounded headers,
/// an idle timeout for keep-alive connections and a deadline for each request.
public final class WebhookListener: Sendable {
    private let channel: any Channel

    /// The address actually bound (the port is real when the configuration asked for 0).
    public var localAddress: SocketAddress? { channel.localAddress }

    /// The bound port.
    public var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) {
        self.channel = channel
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

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                do {
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: idle),
                        RequestDeadlineHandler(timeout: deadline),
                    ])
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
                return channel.pipeline.configureHTTPServerPipeline(
                    // Every response header is Hookline's own constant or number: validating each
                    // answer's headers again costs ~5% of the hot path for nothing.
                    withOutboundHeaderValidation: false, withDecoderLimitConfiguration: limits).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(
                        WebhookHTTPHandler(ingest: ingest, surface: surface, maxBodyBytes: maxBody, metrics: metrics))
                }
            }
        let channel = try await bootstrap.bind(host: settings.host, port: settings.port).get()
        return WebhookListener(channel: channel)
    }

    /// Stops accepting connections.
    public func close() async {
        try? await channel.close()
    }
}
