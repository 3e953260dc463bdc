import HooklineCore
import NIOCore

/// The client a connection's PROXY protocol header named, for the handlers after it on the same
/// connection (and event loop).
final class ConnectionClient {
    /// Set once the header is read: the address it named, or nil for a `LOCAL`/`UNKNOWN` header.
    var proxied: IPAddress??
}

/// Reads the PROXY protocol header (v1 or v2) a load balancer sends first (`server.proxy_protocol`),
/// hands the rest of the bytes on, and leaves the pipeline. A connection that does not start
/// with a well-formed header — or that sends one from a peer outside `server.trusted_proxies`,
/// when that is set — is closed without an answer: it is not speaking the protocol Hookline was
/// told to expect.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let client: ConnectionClient
    private let trustedProxies: [CIDR]
    private var buffered: ByteBuffer?

    init(client: ConnectionClient, trustedProxies: [CIDR]) {
        self.client = client
        self.trustedProxies = trustedProxies
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if var earlier = buffered {
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        switch ProxyProtocol.parse(buffer.readableBytesView) {
        case .needMore:
            buffered = buffer
        case .invalid:
            buffered = nil
            context.close(promise: nil)
        case .header(let length, let source):
            buffered = nil
            if !trustedProxies.isEmpty {
                guard let peer = context.channel.remoteAddress?.ipAddress.flatMap(IPAddress.init), trustedProxies.contains(peer) else {
                    context.close(promise: nil)
                    return
                }
            }
            client.proxied = .some(source)
            buffer.moveReaderIndex(forwardBy: length)
            if buffer.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(buffer)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
