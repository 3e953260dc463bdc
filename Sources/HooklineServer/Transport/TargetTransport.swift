import AsyncHTTPClient
import HooklineCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// How Hookline makes every target call: AsyncHTTPClient (one client per apply loop), no redirects
/// (credentials never follow a redirect elsewhere), no connection retries of its own (the retry
/// policy decides), bodies read with a limit.
package final class TargetTransport: Sendable {
    /// One client per event loop of the apply threads, each on that loop alone.
    private let clients: [(loop: any EventLoop, client: HTTPClient)]
    private let turn = Atomic<Int>(0)
    static let maximumResponseBytes = 1 << 20

    /// A transport on the apply threads' event loops, which run at lower CPU priority than the
    /// listener's: when the cores are busy, answering senders comes before applying. Each loop has
    /// a client of its own, so a request and its connection share one loop, and the last lease
    /// check before a body (`send(_:url:timeout:permit:)`) runs in the same turn as the body's
    /// write. A worker running on a loop uses that loop's client: no hop between threads.
    package init(connectionsPerHost: Int, group: any EventLoopGroup) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connectionsPerHost)
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(5))
        configuration.decompression = .disabled
        // No spans of AsyncHTTPClient's own: with tracing on, `TargetEndpoint` makes each call's
        // CLIENT span itself (its URL without the query, where some APIs take a key) and injects
        // its traceparent; the client's would name only the method and use older attribute names.
        configuration.tracing.tracer = nil
        let loops = Array(group.makeIterator())
        clients = loops.map { ($0, HTTPClient(eventLoopGroupProvider: .shared($0), configuration: configuration)) }
    }

    /// The loop this runs on and its client, else the next in turn.
    private var pick: (loop: any EventLoop, client: HTTPClient) {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let own = clients.first(where: { $0.loop === current }) {
            return own
        }
        return clients[turn.wrappingAdd(1, ordering: .relaxed).oldValue % clients.count]
    }

    /// Sends `call` to `url`; the answer, or why there was none.
    package func send(_ call: TargetCall, url: String, timeout: Duration) async -> Result<TargetResponse, TransportFailure> {
        switch await send(call, url: url, timeout: timeout, fence: nil) {
        case .success(let response): .success(response)
        case .failure(.transport(let failure)): .failure(failure)
        case .failure(.notPermitted(let permission)): .failure(TransportFailure(mayHaveReachedTarget: false, description: "\(permission)"))
        }
    }

    /// Why a call got no answer: the transport's failure, or the fence said no at the last moment.
    package enum SendFailure: Error, Sendable {
        case transport(TransportFailure)
        case notPermitted(CallPermission)
    }

    /// Sends `call` to `url`. With a `fence`, its body is held back until the request's head is
    /// on a connection, and permission is asked once more then — on the connection's event loop
    /// (the client's only one), in the same turn as the body's write, so nothing can come between
    /// the last check and the bytes leaving but the write itself. A process stopped anywhere before
    /// (waiting for a connection, for the event loop, for the CPU) and started again after its
    /// lease ran out sends nothing the target can act on: the head alone, then the connection
    /// closes. Right after the body's write, the fence is asked whether the lease still covered
    /// it (`CallFence.written`): a stop inside that last window is not prevented, but it is known.
    package func send(
        _ call: TargetCall, url: String, timeout: Duration, fence: CallFence?
    ) async -> Result<TargetResponse, SendFailure> {
        guard let fence, let body = call.body else { return await sendNow(call, url: url, timeout: timeout) }
        var headers = HTTPHeaders()
        headers.add(name: "User-Agent", value: "hookline/1")
        for header in call.headers { headers.add(name: header.name, value: header.value) }
        let bytes = ByteBuffer(bytes: body)
        let (loop, client) = pick
        do {
            let request = try HTTPClient.Request(
                url: url, method: HTTPMethod(rawValue: call.method), headers: headers,
                body: .stream(contentLength: Int64(bytes.readableBytes)) { writer in
                    let permission = fence.permit()
                    guard permission.isGranted else { return loop.makeFailedFuture(Withheld(permission: permission)) }
                    StallPoint.reach("call.before-write")
                    return writer.write(.byteBuffer(bytes))
                })
            // Not pinned to the loop (a pinned request gets a connection of its own, closed after
            // use): this client has no other, so the request, its body and its connection share it.
            let delegate = FencedAccumulator(ResponseAccumulator(request: request, maxBodySize: Self.maximumResponseBytes), fence: fence)
            let task = client.execute(request: request, delegate: delegate, deadline: .now() + .milliseconds(max(1, timeout.wholeMilliseconds)))
            // A drain that gives up on calls in flight cancels their tasks: the request goes with it.
            let response = try await withTaskCancellationHandler { try await task.futureResult.get() } onCancel: { task.cancel() }
            return .success(
                TargetResponse(
                    status: Int(response.status.code), headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) },
                    body: response.body.map { Array($0.readableBytesView) } ?? []))
        } catch let withheld as Withheld {
            return .failure(.notPermitted(withheld.permission))
        } catch {
            return .failure(.transport(Self.classify(error)))
        }
    }

    /// The permission was refused at the last moment: the body was not sent.
    struct Withheld: Error {
        let permission: CallPermission
    }

    private func sendNow(_ call: TargetCall, url: String, timeout: Duration) async -> Result<TargetResponse, SendFailure> {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: call.method)
        request.headers.add(name: "User-Agent", value: "hookline/1")
        for header in call.headers { request.headers.add(name: header.name, value: header.value) }
        if let body = call.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await pick.client.execute(request, timeout: .milliseconds(max(1, timeout.wholeMilliseconds)))
            let body = try await response.body.collect(upTo: Self.maximumResponseBytes)
            return .success(
                TargetResponse(
                    status: Int(response.status.code),
                    headers: response.headers.map { HeaderField(name: $0.name, value: $0.value) },
                    body: Array(body.readableBytesView)))
        } catch {
            return .failure(.transport(Self.classify(error)))
        }
    }

    static func classify(_ error: any Error) -> TransportFailure {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout, .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .unsupportedScheme("http+unix"):
                return TransportFailure(mayHaveReachedTarget: false, description: "could not connect: \(error)")
            case .readTimeout, .deadlineExceeded:
                return TransportFailure(mayHaveReachedTarget: true, description: "no answer in time")
            case .remoteConnectionClosed:
                return TransportFailure(mayHaveReachedTarget: true, description: "the connection closed before an answer")
            default:
                return TransportFailure(mayHaveReachedTarget: true, description: "\(error)")
            }
        }
        if error is NIOConnectionError {
            return TransportFailure(mayHaveReachedTarget: false, description: "could not connect (connection refused)")
        }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            return TransportFailure(mayHaveReachedTarget: false, description: "could not connect: \(error.description)")
        }
        if error is ChannelError, case .connectTimeout = error as? ChannelError {
            return TransportFailure(mayHaveReachedTarget: false, description: "connect timed out")
        }
        return TransportFailure(mayHaveReachedTarget: true, description: "\(error)")
    }

    /// Closes the clients' connections, every one even when one fails (a client released
    /// without a shutdown traps); the first failure is thrown after. Their event loops belong to
    /// `ApplyThreads`.
    package func shutdown() async throws {
        var failure: (any Error)?
        for (_, client) in clients {
            do {
                try await client.shutdown()
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
    }
}

/// The lease checks around one call under a lease that can run out: `permit` before the call and
/// again right before its body is written, and `covers` right after the write. A write the lease
/// no longer covered is remembered (`writtenLate`): the process stalled between the last check and
/// the write, and the call may have reached the target after another instance took the lane.
package final class CallFence: Sendable {
    let permit: @Sendable () -> CallPermission
    private let covers: @Sendable () -> Bool
    private let late = Atomic<Bool>(false)

    package init(permit: @escaping @Sendable () -> CallPermission, covers: @escaping @Sendable () -> Bool) {
        self.permit = permit
        self.covers = covers
    }

    /// The body was just written: whether the lease still covered it.
    func written() {
        if !covers() { late.store(true, ordering: .relaxed) }
    }

    /// Whether the body was written after the lease stopped covering the call.
    package var writtenLate: Bool { late.load(ordering: .relaxed) }
}

/// A `ResponseAccumulator` that tells the fence when the body has been written: in the write's
/// completion, on the connection's event loop right after the `writev`.
private final class FencedAccumulator: HTTPClientResponseDelegate {
    typealias Response = ResponseAccumulator.Response
    private let inner: ResponseAccumulator
    private let fence: CallFence

    init(_ inner: ResponseAccumulator, fence: CallFence) {
        self.inner = inner
        self.fence = fence
    }

    func didSendRequestHead(task: HTTPClient.Task<Response>, _ head: HTTPRequestHead) { inner.didSendRequestHead(task: task, head) }

    func didSendRequestPart(task: HTTPClient.Task<Response>, _ part: IOData) {
        fence.written()
        inner.didSendRequestPart(task: task, part)
    }

    func didSendRequest(task: HTTPClient.Task<Response>) { inner.didSendRequest(task: task) }

    func didVisitURL(task: HTTPClient.Task<Response>, _ request: HTTPClient.Request, _ head: HTTPResponseHead) {
        inner.didVisitURL(task: task, request, head)
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> { inner.didReceiveHead(task: task, head) }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        inner.didReceiveBodyPart(task: task, buffer)
    }

    func didReceiveError(task: HTTPClient.Task<Response>, _ error: any Error) { inner.didReceiveError(task: task, error) }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response { try inner.didFinishRequest(task: task) }
}
