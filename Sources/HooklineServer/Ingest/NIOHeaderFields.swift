import HooklineCore
import NIOHTTP1

/// NIO's request headers as `HeaderFields` for the signature schemes (no copy).
struct NIOHeaderFields: HeaderFields {
    let headers: HTTPHeaders

    func values(forName name: String) -> [String] { headers[name] }
}
