import HooklineCore
import NIOHTTP1

/// NIO's request headers as `HeaderFields` for the signature schemes (no copy).
package struct NIOHeaderFields: HeaderFields {
    package let headers: HTTPHeaders

    package init(headers: HTTPHeaders) { self.headers = headers }

    package func values(forName name: String) -> [String] { headers[name] }

    package func first(_ name: String) -> String? { headers.first(name: name) }

    package func forEachValue(forName name: String, _ body: (String) -> Void) {
        for (field, value) in headers where Self.sameName(field, name) { body(value) }
    }

    /// Header names compared as ASCII without case, without lower-casing either.
    private static func sameName(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for index in 0..<x.count where x[index] != y[index] {
                    let lowerX = x[index] >= UInt8(ascii: "A") && x[index] <= UInt8(ascii: "Z") ? x[index] | 0x20 : x[index]
                    let lowerY = y[index] >= UInt8(ascii: "A") && y[index] <= UInt8(ascii: "Z") ? y[index] | 0x20 : y[index]
                    if lowerX != lowerY { return false }
                }
                return true
            }
        }
    }
}
