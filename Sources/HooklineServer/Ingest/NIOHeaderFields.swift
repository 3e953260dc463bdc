import HooklineCore
import NIOHTTP1

/// NIO's request headers as `HeaderFields` for the signature schemes (no copy).
package struct NIOHeaderFields: HeaderFields {
    package let headers: HTTPHeaders

    package init(headers: HTTPHeaders) { self.headers = headers }

    package func values(forName name: String) -> [String] { headers[name] }

    package func first(_ name: String) -> String? { headers.first(name: name) }

    package func forEachValue(forName name: String, _ body: (String) -> Void) {
        for (field, value) in headers where ASCIICase.equal(field, name) { body(value) }
    }
}
