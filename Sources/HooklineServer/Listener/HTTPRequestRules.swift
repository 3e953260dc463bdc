import HooklineCore
import NIOHTTP1

/// The RFC 9112 rules NIO's parser leaves to the server, checked on every request head.
enum HTTPRequestRules {
    /// The answer and audit reason for a head that breaks a rule, or nil when it keeps them all:
    /// - an HTTP/1.1 request needs exactly one `Host` header with a valid value (400, §3.2);
    /// - a transfer coding other than `chunked` is not understood (501, §6.1): Hookline does not
    ///   decompress, and taking `gzip, chunked` as plain would read the wrong bytes.
    static func violation(of head: HTTPRequestHead) -> (answer: HTTPAnswer, reason: String)? {
        let hosts = head.headers["host"]
        if head.version.major == 1, head.version.minor >= 1, hosts.count != 1 {
            let problem = hosts.isEmpty ? "has no Host header" : "has \(hosts.count) Host headers"
            return (.error(400, "the HTTP/1.1 request \(problem); exactly one is required", close: true), "invalid_host")
        }
        if let host = hosts.first, !isValidHost(host) {
            return (.error(400, "the Host header is not a valid host[:port]", close: true), "invalid_host")
        }
        let codings = head.headers["transfer-encoding"]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingWhitespace().lowercased() }
            .filter { !$0.isEmpty }
        if !codings.isEmpty, codings != ["chunked"] {
            return (
                .error(501, "Transfer-Encoding '\(codings.joined(separator: ", "))' is not supported; send the body as is, or chunked", close: true),
                "unsupported_transfer_coding"
            )
        }
        return nil
    }

    /// `uri-host [ ":" port ]`: a registered name, IPv4 or bracketed IPv6 literal (RFC 3986);
    /// empty is allowed.
    static func isValidHost(_ value: String) -> Bool {
        value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            default:
                "-._~!$&'()*+,;=:[]%".utf8.contains(byte)
            }
        }
    }
}
