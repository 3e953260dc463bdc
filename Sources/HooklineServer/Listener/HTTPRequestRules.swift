import HooklineCore
import NIOHTTP1

/// The RFC 9112 rules NIO's parser leaves to the server, checked on every request head.
enum HTTPRequestRules {
    /// The answer and audit reason for a head that breaks a rule, or nil when it keeps them all:
    /// - an HTTP/1.1 request needs exactly one `Host` header with a valid value (400, §3.2);
    /// - a transfer coding other than `chunked` is not understood (501, §6.1): Hookline does not
    ///   decompress, and taking `gzip, chunked` as plain would read the wrong bytes.
    ///
    /// One pass over the headers, allocating nothing for a request that keeps the rules: it runs
    /// for every request.
    static func violation(of head: HTTPRequestHead) -> (answer: HTTPAnswer, reason: String)? {
        var hosts = 0
        var validHost = true
        var codings: [String] = []
        for (name, value) in head.headers {
            if name.equalsIgnoringASCIICase("host") {
                hosts += 1
                validHost = validHost && isValidHost(value)
            } else if name.equalsIgnoringASCIICase("transfer-encoding") {
                codings += value.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
            }
        }
        if head.version.major == 1, head.version.minor >= 1, hosts != 1 {
            let problem = hosts == 0 ? "has no Host header" : "has \(hosts) Host headers"
            return (.error(400, "the HTTP/1.1 request \(problem); exactly one is required", close: true), "invalid_host")
        }
        if !validHost {
            return (.error(400, "the Host header is not a valid host[:port]", close: true), "invalid_host")
        }
        if !codings.isEmpty, codings != ["chunked"] {
            return (
                .error(501, "Transfer-Encoding '\(codings.joined(separator: ", "))' is not supported; send the body as is, or chunked", close: true),
                "unsupported_transfer_coding"
            )
        }
        return nil
    }

    /// The answer to a request NIO's parser refused: 431 when the request line and headers are too
    /// large or too many, 400 otherwise, always closing the connection.
    static func answer(for error: HTTPParserError, maxHeaderBytes: Int) -> HTTPAnswer {
        switch error {
        case .headerOverflow:
            .error(431, "the request line and headers are larger than \(maxHeaderBytes) bytes or have too many fields", close: true)
        case .invalidContentLength:
            .error(400, "the Content-Length header is not valid", close: true)
        case .invalidChunkSize:
            .error(400, "a chunk size in the chunked body is not valid", close: true)
        case .unknown:
            .error(400, "the request cannot be parsed (a Transfer-Encoding whose last coding is not chunked, or a malformed line)", close: true)
        default:
            .error(400, "the request is not valid HTTP/1.1 (\(error))", close: true)
        }
    }

    /// `uri-host [ ":" port ]`: a registered name, IPv4 or bracketed IPv6 literal (RFC 3986);
    /// empty is allowed.
    static func isValidHost(_ value: String) -> Bool {
        value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
                UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"),
                UInt8(ascii: "%"):
                true
            default:
                false
            }
        }
    }
}

extension String {
    /// Equal to `other` (lowercase ASCII) ignoring ASCII case, without building a lowercased copy.
    fileprivate func equalsIgnoringASCIICase(_ other: StaticString) -> Bool {
        guard utf8.count == other.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: other.utf8Start, count: other.utf8CodeUnitCount)
        return zip(utf8, expected).allSatisfy { byte, lower in
            byte == lower || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") && byte + 32 == lower)
        }
    }
}
