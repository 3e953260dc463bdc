import HooklineCore
import NIOHTTP1

/// NIO's request headers as `HeaderFields` for the signature schemes (no copy).
public struct NIOHeaderFields: HeaderFields {
    public let headers: HTTPHeaders

    public init(headers: HTTPHeaders) { self.headers = headers }

    public func values(forName name: String) -> [String] { headers[name] }
}
