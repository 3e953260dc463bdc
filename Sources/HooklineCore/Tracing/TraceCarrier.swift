/// A trace context as the headers a tracer propagates it in, kept as one line of text with the
/// event it belongs to — so the event's attempts join its trace after a restart, a crash
/// recovery or a takeover by another instance.
///
/// With OpenTelemetry the headers are W3C Trace Context, and the text is the `traceparent`
/// value itself (`00-<trace id>-<span id>-<flags>`), with `;tracestate=…` when there is one.
/// Other tracers' headers are kept as `name=value` pairs joined by `;`, values percent-escaped.
package struct TraceCarrier: Sendable, Hashable {
    package var headers: [String: String]

    package init(headers: [String: String]) {
        self.headers = headers
    }

    /// The text form, or nil when there is nothing to keep.
    package var text: String? {
        guard !headers.isEmpty else { return nil }
        var rest = headers
        var parts: [String] = []
        if let parent = rest.removeValue(forKey: "traceparent"), TraceParent(parent) != nil {
            parts.append(parent)
        }
        for (name, value) in rest.sorted(by: { $0.key < $1.key }) {
            parts.append("\(Self.escape(name))=\(Self.escape(value))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ";")
    }

    /// Reads the text form back; nil for text that is not one.
    package init?(text: String) {
        var headers: [String: String] = [:]
        for (index, part) in text.split(separator: ";", omittingEmptySubsequences: true).enumerated() {
            if index == 0, TraceParent(String(part)) != nil {
                headers["traceparent"] = String(part)
                continue
            }
            guard let equals = part.firstIndex(of: "="),
                let name = Self.unescape(part[..<equals]), let value = Self.unescape(part[part.index(after: equals)...]), !name.isEmpty
            else { return nil }
            headers[name] = value
        }
        guard !headers.isEmpty else { return nil }
        self.headers = headers
    }

    /// The W3C parent, when the carrier holds a valid one.
    package var traceParent: TraceParent? { headers["traceparent"].flatMap(TraceParent.init) }

    private static func escape(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            if byte == UInt8(ascii: "%") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "=") || byte < 0x20 || byte >= 0x7F {
                output += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            } else {
                output.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return output
    }

    private static func unescape(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

/// A W3C `traceparent` header value, checked as the Trace Context spec reads it: version `00`
/// (or a later one, of which the first four fields are read), a 32-hex trace id and a 16-hex
/// parent id that are not all zeros, two hex digits of flags. Anything else is not one.
package struct TraceParent: Sendable, Hashable {
    package let traceID: String
    package let spanID: String
    package let sampled: Bool

    package init?(_ text: String) {
        let bytes = Array(text.utf8)
        // version(2) - trace(32) - span(16) - flags(2) = 55; later versions may append "-…".
        guard bytes.count >= 55, bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else { return nil }
        func isLowerHex(_ range: Range<Int>) -> Bool {
            bytes[range].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        }
        guard isLowerHex(0..<2), isLowerHex(3..<35), isLowerHex(36..<52), isLowerHex(53..<55) else { return nil }
        let version = String(decoding: bytes[0..<2], as: UTF8.self)
        guard version != "ff" else { return nil }
        if version == "00" {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        let trace = String(decoding: bytes[3..<35], as: UTF8.self)
        let span = String(decoding: bytes[36..<52], as: UTF8.self)
        guard trace.contains(where: { $0 != "0" }), span.contains(where: { $0 != "0" }) else { return nil }
        guard let flags = UInt8(String(decoding: bytes[53..<55], as: UTF8.self), radix: 16) else { return nil }
        traceID = trace
        spanID = span
        sampled = flags & 1 == 1
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
