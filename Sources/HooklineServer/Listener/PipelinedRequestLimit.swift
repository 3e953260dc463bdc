import NIOCore
import NIOHTTP1

/// Caps the requests a connection may have pipelined ahead of their answers.
///
/// NIO's HTTP decoder parses everything one read brought in (up to a megabyte), and the pipeline
/// handler holds each parsed request until the one before it is answered. A peer that pipelines
/// thousands of requests and reads slowly would have them all held in memory. Past `limit`
/// unanswered requests, the rest of the connection's input is dropped and the connection closes
/// once the requests already taken are answered — as a server closing a keep-alive connection,
/// which HTTP clients retry.
///
/// Sits between the decoder and `HTTPServerPipelineHandler`.
final class PipelinedRequestLimit: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limit: Int
    /// Requests passed on whose answer has not ended yet.
    private var unanswered = 0
    /// Over the limit: input is dropped, and the connection closes once `unanswered` is 0.
    private var closing = false

    init(limit: Int) {
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        if case .head = unwrapInboundIn(data) {
            guard unanswered < limit else {
                closing = true
                if unanswered == 0 { context.close(promise: nil) }
                return
            }
            unanswered += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // An error answer for a request that never parsed has no head: never below zero.
        unanswered = max(0, unanswered - 1)
        guard closing, unanswered == 0 else {
            context.write(data, promise: promise)
            return
        }
        let written = promise ?? context.eventLoop.makePromise()
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.write(data, promise: written)
    }
}
