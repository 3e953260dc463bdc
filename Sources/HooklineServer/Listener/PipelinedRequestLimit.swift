import NIOCore
import NIOHTTP1

/// Caps the requests a connection may have pipelined ahead of their answers.
///
/// NIO's HTTP decoder parses everything one read brought in (up to a megabyte), and the pipeline
/// handler holds each parsed request until the one before it is answered. A peer that pipelines
/// thousands of requests and reads slowly would have them all held in memory. Past the limit,
/// the rest of the connection's input is dropped and the connection closes once the requests
/// already taken are answered — as a server closing a keep-alive connection, which HTTP clients
/// retry.
///
/// Sits between the decoder and `HTTPServerPipelineHandler`; `WebhookHTTPHandler` reports each
/// answer through the shared `PipelineDepth` (cheaper than watching every outbound write here).
final class PipelinedRequestLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let depth: PipelineDepth

    init(depth: PipelineDepth) {
        self.depth = depth
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !depth.closing else { return }
        if case .head = unwrapInboundIn(data), !depth.take() {
            if depth.unanswered == 0 { context.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }

    /// NIO's pipeline handler holds the next read until the request before it is answered, so
    /// the socket's read interest was removed and added back around every webhook answered after
    /// its fsync (two `epoll_ctl` per request). While the only request outstanding is the one
    /// being answered, one read is let through here, below that handler: a peer that does not
    /// pipeline sends nothing more until it has its answer, and one that does has its next
    /// request parsed and held (by the pipeline handler, within this limit) as before. Writes
    /// still gate reads (`WriteBackpressureHandler` is nearer the socket).
    func channelReadComplete(context: ChannelHandlerContext) {
        if depth.unanswered == 1, !depth.closing { context.read() }
        context.fireChannelReadComplete()
    }
}

/// The requests one connection has taken and not yet answered: shared by the handler that takes
/// them and the one that answers them, both on the connection's event loop.
final class PipelineDepth {
    let limit: Int
    private(set) var unanswered = 0
    /// Over the limit: input is dropped, and the connection closes once `unanswered` is 0.
    private(set) var closing = false

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes one more request, or refuses it (and every later one) when `limit` are unanswered.
    func take() -> Bool {
        guard unanswered < limit else {
            closing = true
            return false
        }
        unanswered += 1
        return true
    }

    /// One answer ended; true when the connection must now close.
    func answered() -> Bool {
        // An answer to a request that never parsed (a protocol error) was never taken.
        unanswered = max(0, unanswered - 1)
        return closing && unanswered == 0
    }
}
