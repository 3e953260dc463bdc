import HooklineCore
import NIOCore
import NIOHTTP1
import Tracing

/// Answers Hookline's HTTP surface: `POST /webhooks/{source}`, `GET /healthz`, `GET /readyz`,
/// `GET /metrics`. Bodies are collected up to the limit (413 beyond it, decided from
/// `Content-Length` before reading when possible) and handed to `WebhookIngest`.
///
/// An answer is held back while the connection is not writable: the pipeline handler passes on
/// the next pipelined request only once this one's answer is written, so a peer that does not
/// read its answers cannot make Hookline produce more of them. Requests NIO's parser refuses are
/// answered here too: 431 for oversize headers, 400 otherwise (NIO's own error handler answers
/// 400 to everything).
final class WebhookHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    fileprivate enum State {
        case idle
        /// Collecting a webhook body (nil until its first part: a body that arrives in one part
        /// is that part, a view of the read buffer, not a copy).
        case collecting(head: HTTPRequestHead, source: String, body: ByteBuffer?, receivedAt: UnixTime)
        /// The answer is decided; the rest of the request is read and dropped.
        case discarding(head: HTTPRequestHead, answer: HTTPAnswer)
        /// Waiting for the ingest's answer.
        case answering(head: HTTPRequestHead)
        /// The connection is closing; nothing more is read.
        case closing
    }

    private let ingest: WebhookIngest
    private let surface: HTTPSurface
    private let maxBodyBytes: Int
    private let metrics: HooklineMetrics?
    /// Set on a connection over `server.max_connections`: every request gets this answer.
    private let refusal: HTTPAnswer?
    private let maxHeaderBytes: Int
    /// Requests taken and not yet answered on this connection (`PipelinedRequestLimit`).
    private let depth: PipelineDepth
    private var state = State.idle
    /// This connection's event loop, as the store runs completions on it.
    private let executor: LoopExecutor
    /// The webhook being answered (its source label) and when its head arrived, for the metrics.
    private var timing: (source: String, started: ContinuousClock.Instant)?
    /// The peer's address as text, read once per connection (it cannot change on one).
    private var peer: String??
    /// The webhook request's SERVER span, from its head to its answer (tracing on).
    private var span: (any Span)?

    private func remote(_ context: ChannelHandlerContext) -> String? {
        if let peer { return peer }
        // Behind a PROXY protocol balancer, the client its header named (else the socket's peer).
        let address = (connectionClient?.proxied ?? nil)?.description ?? context.channel.remoteAddress?.ipAddress
        peer = .some(address)
        return address
    }

    /// What a PROXY protocol header said about this connection, when one is expected.
    private let connectionClient: ConnectionClient?

    /// Proxies whose `X-Forwarded-For` names the client (`server.trusted_proxies`).
    private let trustedProxies: [CIDR]
    /// The peer's address, parsed once per connection when it is needed.
    private var peerAddress: IPAddress??
    /// The current request's client, as `clientAddress` found it.
    private var client: (text: String?, address: IPAddress?) = (nil, nil)

    /// Who sent this request: the peer, or — only when the peer is a trusted proxy — the
    /// right-most untrusted hop of `X-Forwarded-For`. Without trusted proxies, the peer as text
    /// alone (nothing is parsed on that path).
    private func clientAddress(_ head: HTTPRequestHead, context: ChannelHandlerContext, parse: Bool) -> (text: String?, address: IPAddress?) {
        let peerText = remote(context)
        guard parse || !trustedProxies.isEmpty else { return (peerText, nil) }
        if peerAddress == nil { peerAddress = .some(peerText.flatMap(IPAddress.init)) }
        let peer = peerAddress ?? nil
        guard let peer, trustedProxies.contains(peer) else { return (peerText, peer) }
        let resolved = ClientAddress.resolve(peer: peer, forwardedFor: head.headers["x-forwarded-for"], trusted: trustedProxies)
        return (resolved?.description ?? peerText, resolved)
    }

    /// An answer waiting for the connection to become writable.
    private var parked: (answer: HTTPAnswer, request: HTTPRequestHead)?
    /// The last answer's body buffer, reused once the encoder has copied it.
    private var bodyBuffer: ByteBuffer?
    /// The last answer's head, reused while answers keep the same shape (every 202 on a
    /// keep-alive connection): building one costs its header storage.
    private var lastHead: (shape: HeadShape, head: HTTPResponseHead)?

    private struct HeadShape: Equatable {
        var version: HTTPVersion
        var status: Int
        var contentType: String
        var length: Int
        var keepAlive: Bool
    }

    init(
        ingest: WebhookIngest, surface: HTTPSurface, maxBodyBytes: Int, maxHeaderBytes: Int, depth: PipelineDepth,
        executor: LoopExecutor, metrics: HooklineMetrics?, refusal: HTTPAnswer? = nil, trustedProxies: [CIDR] = [],
        client: ConnectionClient? = nil
    ) {
        self.trustedProxies = trustedProxies
        self.connectionClient = client
        self.ingest = ingest
        self.executor = executor
        self.surface = surface
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.depth = depth
        self.metrics = metrics
        self.refusal = refusal
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            begin(head, context: context)
        case .body(var chunk):
            guard case .collecting(let head, let source, let collected, let receivedAt) = state else { return }
            guard (collected?.readableBytes ?? 0) + chunk.readableBytes <= maxBodyBytes else {
                refuseOversize(head: head, source: source, context: context)
                return
            }
            guard var body = collected else {
                state = .collecting(head: head, source: source, body: chunk, receivedAt: receivedAt)
                return
            }
            state = .idle  // release the buffer's reference before appending, so it is not copied
            if chunk.readableBytes > body.writableBytes {
                // A later part (a view of the read buffer has no room): gather the parts in a
                // buffer of the declared size, 4 KiB when none was declared (chunked).
                let declared = Self.contentLength(of: head) ?? 4096
                var gathered = context.channel.allocator.buffer(capacity: min(maxBodyBytes, max(declared, body.readableBytes + chunk.readableBytes)))
                gathered.writeBuffer(&body)
                body = gathered
            }
            body.writeBuffer(&chunk)
            state = .collecting(head: head, source: source, body: body, receivedAt: receivedAt)
        case .end:
            context.triggerUserOutboundEvent(RequestCompleteEvent(), promise: nil)
            switch state {
            case .collecting(let head, let source, let body, let receivedAt):
                state = .answering(head: head)
                dispatch(head: head, source: source, body: body ?? ByteBuffer(), receivedAt: receivedAt, context: context)
            case .discarding(let head, let answer):
                write(answer, for: head, context: context)
            case .idle, .answering, .closing:
                break
            }
        }
    }

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if let refusal {
            state = .discarding(head: head, answer: refusal)
            return
        }
        // The path without its query, as a view of the URI (no array, no copy on this path).
        let path = head.uri.prefix { $0 != "?" }
        let isWebhook = path.hasPrefix("/webhooks/")
        let name = isWebhook ? String(path.dropFirst("/webhooks/".count)) : ""
        if isWebhook, let tracing = ingest.tracing {
            span = tracing.startReceive(source: ingest.hasSource(name) ? name : nil, method: head.method.rawValue, headers: head.headers)
        }
        let allow = isWebhook ? ingest.allowList(for: name) : []
        client = isWebhook ? clientAddress(head, context: context, parse: !allow.isEmpty) : (nil, nil)
        if let (answer, reason) = HTTPRequestRules.violation(of: head) {
            if isWebhook {
                ingest.reject(source: name, answer: answer, reason: reason, remote: client.text, receivedAt: .now())
            }
            // The rest of this request is dropped; the answer closes the connection.
            state = .answering(head: head)
            write(answer, for: head, context: context)
            return
        }
        guard isWebhook else {
            state = .discarding(head: head, answer: surface.answer(method: head.method, path: String(path)))
            return
        }
        let receivedAt = UnixTime.now()
        let remote = client.text
        timing = (ingest.sourceLabel(name), .now)
        guard head.method == .POST else {
            let answer = HTTPAnswer.error(405, "use POST to deliver webhooks", headers: [HeaderField(name: "Allow", value: "POST")])
            ingest.reject(source: name, answer: answer, reason: "method_not_allowed", remote: remote, receivedAt: receivedAt)
            state = .discarding(head: head, answer: answer)
            return
        }
        guard ingest.hasSource(name) else {
            state = .discarding(head: head, answer: ingest.refuseUnknownSource(name, remote: remote, receivedAt: receivedAt))
            return
        }
        // Who may call: decided from the head alone, before any of the body is read (or the
        // signature looked at); the connection closes with the answer.
        if !allow.isEmpty, !(client.address.map(allow.contains) ?? false) {
            let answer = HTTPAnswer.error(403, "\(remote ?? "this address") may not call source \(name)", close: true)
            ingest.reject(source: name, answer: answer, reason: "address_not_allowed", remote: remote, receivedAt: receivedAt)
            state = .answering(head: head)
            write(answer, for: head, context: context)
            return
        }
        if let length = Self.contentLength(of: head), length > maxBodyBytes {
            refuseOversize(head: head, source: name, context: context)
            return
        }
        if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        state = .collecting(head: head, source: name, body: nil, receivedAt: receivedAt)
    }

    /// The request's `Content-Length`, if it sent one.
    private static func contentLength(of head: HTTPRequestHead) -> Int? {
        head.headers.first(name: "content-length").flatMap(Int.init)
    }

    private func refuseOversize(head: HTTPRequestHead, source: String, context: ChannelHandlerContext) {
        let answer = HTTPAnswer.error(413, "the body is larger than \(maxBodyBytes) bytes", close: true)
        ingest.reject(source: source, answer: answer, reason: "body_too_large", remote: client.text, receivedAt: .now())
        write(answer, for: head, context: context)
        state = .closing
    }

    private func dispatch(head: HTTPRequestHead, source: String, body: ByteBuffer, receivedAt: UnixTime, context: ChannelHandlerContext) {
        if MeasuredFloor.current == .http {
            write(.accepted(eventID: "evt_00000000000000000000000000"), for: head, context: context)
            return
        }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ingest.receive(
            source: source, body: body, headers: head.headers, remote: client.text,
            receivedAt: receivedAt, executor: executor, span: span
        ) { answer in
            if bound.eventLoop.inEventLoop {
                let (handler, context) = bound.value
                handler.write(answer, for: head, context: context)
            } else {
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.write(answer, for: head, context: context)
                }
            }
        }
    }

    private func write(_ answer: HTTPAnswer, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        if case .closing = state { return }
        guard context.channel.isWritable else {
            // Held until the peer reads what it was sent (or the stall timeout closes it).
            parked = (answer, request)
            return
        }
        let keepAlive = request.isKeepAlive && !answer.closeConnection
        state = answer.closeConnection ? .closing : .idle
        if let timing {
            metrics?.answered(source: timing.source, status: answer.status, duration: .now - timing.started)
            self.timing = nil
        }
        if let span {
            HooklineTracing.endReceive(span, status: answer.status)
            self.span = nil
        }

        var body = bodyBuffer ?? context.channel.allocator.buffer(capacity: 256)
        bodyBuffer = nil
        body.clear()
        let contentType = answer.writeBody(into: &body)
        let shape = HeadShape(
            version: request.version, status: answer.status, contentType: contentType, length: body.readableBytes, keepAlive: keepAlive)
        let head: HTTPResponseHead
        if answer.headers.isEmpty, let lastHead, lastHead.shape == shape {
            head = lastHead.head
        } else {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            for field in answer.headers { headers.add(name: field.name, value: field.value) }
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            head = HTTPResponseHead(version: request.version, status: .init(statusCode: answer.status), headers: headers)
            lastHead = answer.headers.isEmpty ? (shape, head) : nil
        }

        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        bodyBuffer = body
        if depth.answered() || !keepAlive {
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // The connection closed before the answer was written: the span ends all the same.
        if let span {
            HooklineTracing.endReceive(span, status: nil)
            self.span = nil
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let (answer, request) = parked {
            parked = nil
            write(answer, for: request, context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // An idle keep-alive connection is closed; one mid-request is left to the request deadline.
        if event is IdleStateHandler.IdleStateEvent, case .idle = state {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The decoder closes the connection once this returns: answer now or not at all — and only
        // when no answer is pending, so an error answer never overtakes one.
        if let parserError = error as? HTTPParserError, parked == nil, state.acceptsErrorAnswer {
            write(
                HTTPRequestRules.answer(for: parserError, maxHeaderBytes: maxHeaderBytes),
                for: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), context: context)
        }
        context.close(promise: nil)
    }
}

extension WebhookHTTPHandler.State {
    /// Whether a protocol error may be answered now: no answer is being waited for or written.
    fileprivate var acceptsErrorAnswer: Bool {
        switch self {
        case .idle, .collecting, .discarding: true
        case .answering, .closing: false
        }
    }
}
