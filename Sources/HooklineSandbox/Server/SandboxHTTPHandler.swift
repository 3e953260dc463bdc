import HooklineCore
import NIOCore
import NIOHTTP1

/// Answers one aggregated request at a time from the sandbox state.
final class SandboxHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let state: SandboxState

    init(state: SandboxState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        let path = request.head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.head.uri
        let headers = request.head.headers.map { HeaderField(name: $0.name, value: $0.value) }
        let body = request.body.map { Array($0.readableBytesView) } ?? []

        if path.hasPrefix("/_sandbox/") {
            write(control(method: request.head.method.rawValue, path: path, body: body), keepAlive: request.head.isKeepAlive, context: context)
            return
        }
        switch state.decide(method: request.head.method.rawValue, path: path, headers: headers, body: body) {
        case .drop:
            context.close(promise: nil)
        case .respond(let response, nil):
            write(response, keepAlive: request.head.isKeepAlive, context: context)
        case .respond(let response, let delay?):
            let keepAlive = request.head.isKeepAlive
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(delay.wholeMilliseconds)) {
                let (handler, context) = bound.value
                handler.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    /// `GET /_sandbox/requests`, `POST /_sandbox/faults` and `DELETE /_sandbox/faults` (clear them
    /// all) for the demo, the benchmark and manual testing.
    private func control(method: String, path: String, body: [UInt8]) -> SandboxResponse {
        switch (method, path) {
        case ("GET", "/_sandbox/requests"):
            let requests = state.contents.withLock { $0.requests }
            return .json(200, .array(requests.map { ["method": .string($0.method), "path": .string($0.path), "status": $0.status.map { .number(String($0)) } ?? .null] }))
        case ("POST", "/_sandbox/faults"):
            guard let json = try? JSONParser.parse(body), let prefix = json["path_prefix"]?.stringValue else {
                return .json(400, ["error": "send {\"path_prefix\": …, \"status\" | \"delay_ms\" | \"drop\": …, \"count\": …, \"chance\": 0…1}"])
            }
            let action: SandboxFault.Action
            if let status = json["status"]?.intValue {
                action = .respond(status: status, headers: [], body: ["error": "injected fault"])
            } else if let delay = json["delay_ms"]?.intValue {
                action = .delay(.milliseconds(delay))
            } else if json["drop"]?.boolValue == true {
                action = .drop
            } else {
                return .json(400, ["error": "give status, delay_ms or drop"])
            }
            var chance = 1.0
            if case .number(let text)? = json["chance"] { chance = Double(text) ?? 1 }
            let fault = SandboxFault(
                method: json["method"]?.stringValue, pathPrefix: prefix, action: action, count: json["count"]?.intValue ?? 1, chance: chance)
            state.contents.withLock { $0.faults.append(fault) }
            return .json(201, ["status": "injected"])
        case ("DELETE", "/_sandbox/faults"):
            state.contents.withLock { $0.faults.removeAll() }
            return .json(200, ["status": "cleared"])
        default:
            return .json(404, ["error": "the control endpoints are GET /_sandbox/requests, POST /_sandbox/faults and DELETE /_sandbox/faults"])
        }
    }

    private func write(_ response: SandboxResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var bytes = response.body.map(JSONWriter.bytes) ?? []
        if !bytes.isEmpty { bytes.append(UInt8(ascii: "\n")) }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(bytes.count))
        for field in response.headers { headers.add(name: field.name, value: field.value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
