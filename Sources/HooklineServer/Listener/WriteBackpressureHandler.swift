import NIOCore

/// Stops reading from a peer while its connection is not writable (its answers are not being
/// read), and closes the connection when it stays that way for `stallTimeout`.
///
/// Without it, a peer that sends pipelined requests and never reads keeps Hookline reading and
/// answering into memory without limit. NIO's `BackPressureHandler` does the first half; the
/// timeout is the second, so such a peer cannot hold its connection (and a slot under
/// `server.max_connections`) forever.
final class WriteBackpressureHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private let stallTimeout: TimeAmount
    private var readPending = false
    private var stall: Scheduled<Void>?

    init(stallTimeout: TimeAmount) {
        self.stallTimeout = stallTimeout
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stall?.cancel()
            stall = nil
            if readPending {
                readPending = false
                context.read()
            }
        } else if stall == nil {
            let channel = context.channel
            stall = context.eventLoop.assumeIsolated().scheduleTask(in: stallTimeout) {
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stall?.cancel()
        stall = nil
        context.fireChannelInactive()
    }
}
