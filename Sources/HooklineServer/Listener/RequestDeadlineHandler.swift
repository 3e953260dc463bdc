import NIOCore

/// Sent outbound by the request handler once a request has fully arrived.
struct RequestCompleteEvent: Sendable {}

/// Closes a connection whose request does not arrive completely within `timeout` of its first
/// byte — a client trickling bytes (slowloris) never trips a plain idle timeout.
///
/// One timer per connection, not one per request: it is armed when a request starts on a
/// connection without one, and when it fires it closes the connection if the request in
/// progress is overdue, re-arms itself for that request's deadline if it is not, and stops if no
/// request is in progress. Back-to-back requests on a keep-alive connection schedule nothing
/// (a scheduled task costs five allocations).
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    /// When the request in progress sent its first byte; nil between requests.
    private var started: NIODeadline?
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if started == nil {
            let now = NIODeadline.now()
            started = now
            if timer == nil { arm(at: now + timeout, context: context) }
        }
        context.fireChannelRead(data)
    }

    private func arm(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.fired(context: context)
        }
    }

    private func fired(context: ChannelHandlerContext) {
        timer = nil
        guard let started else { return }
        let due = started + timeout
        if NIODeadline.now() >= due {
            context.close(promise: nil)
        } else {
            arm(at: due, context: context)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is RequestCompleteEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        started = nil
        promise?.succeed(())
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        started = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }
}
