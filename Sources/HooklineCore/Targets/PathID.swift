/// An id Hookline puts in a target's URL path (`/contacts/{id}`), checked before any call is built.
///
/// Ids come from webhook bodies, and with `field:` routes from contact fields CRM users can edit.
/// Percent-encoding keeps `/` and `?` out of a path, but not the dot segments `.` and `..`: a
/// proxy or server that resolves them turns `PUT /v1/contacts/..` into `PUT /v1/` — with
/// Hookline's credentials attached. So an id is refused, and never sent, when it is empty, too
/// long, holds control characters, or is a dot segment in any spelling: percent-encoded (`%2e`,
/// `%252e`…), overlong UTF-8 (`%c0%ae`), Unicode look-alikes (`．`, `。`) or with a `;` parameter
/// (`..;x`); and, once decoded, when it holds `/` or `\` (servers that decode `%2F` would see
/// more segments). Where a target's ids have a known shape it is checked too.
package enum PathID {
    /// What a target's ids look like.
    package enum Shape: Sendable, Hashable {
        /// Decimal digits (Buildr's contact ids).
        case numeric
        /// `8-4-4-4-12` hex digits (Plannr's uuids).
        case uuid
        /// Anything else that is safe in a path (the X-Api-Key API's ids and external references).
        case opaque

        var description: String {
            switch self {
            case .numeric: "a number"
            case .uuid: "a uuid"
            case .opaque: "an id"
            }
        }
    }

    /// The longest id placed in a path, in UTF-8 bytes.
    package static let maximumLength = 256

    /// Why `id` must not go into a path, or nil when it may. `what` names it in the sentence
    /// ("Buildr contact id").
    package static func refusal(of id: String, shape: Shape, what: String) -> String? {
        let shown = "'\(excerpt(id))'"
        guard !id.isEmpty else { return "the \(what) is empty; it cannot be put in a URL" }
        guard id.utf8.count <= maximumLength else {
            return "the \(what) is \(id.utf8.count) bytes long; ids in URLs are limited to \(maximumLength) bytes"
        }
        switch shape {
        case .numeric:
            guard id.utf8.count <= 19, id.utf8.allSatisfy(isDigit) else {
                return "the \(what) \(shown) is not \(shape.description) (expected decimal digits only); it was not sent"
            }
            return nil
        case .uuid:
            guard isUUID(id) else {
                return "the \(what) \(shown) is not \(shape.description) (expected 8-4-4-4-12 hex digits); it was not sent"
            }
            return nil
        case .opaque:
            if id.unicodeScalars.contains(where: TerminalText.needsEscape) {
                return "the \(what) \(shown) holds control characters; it was not sent"
            }
            if let problem = pathProblem(id) {
                return "the \(what) \(shown) \(problem), which could change the URL's path; it was not sent"
            }
            return nil
        }
    }

    /// What makes `id` unsafe as one path segment under any decoding a server might apply.
    static func pathProblem(_ id: String) -> String? {
        var bytes = Array(id.utf8)
        // Servers and proxies decode once, some twice or more: check every layer.
        for _ in 0..<4 {
            if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return "decodes to control characters" }
            if isDotSegment(bytes) { return "is a dot segment (`.` or `..`) once decoded" }
            if bytes.contains(UInt8(ascii: "/")) || bytes.contains(UInt8(ascii: "\\")) {
                return "holds a path separator once decoded"
            }
            guard let decoded = percentDecoded(bytes) else { break }
            guard String(validating: decoded, as: UTF8.self) != nil else {
                return "decodes to bytes that are not UTF-8 (an overlong `.` or `/`)"
            }
            bytes = decoded
        }
        return nil
    }

    /// `.` or `..`, also with dot look-alikes that Unicode normalisation or a lenient parser
    /// turns into `.`, with a `;parameter` some servers strip before resolving, and with the
    /// extra dots and spaces Windows servers trim (`... `): any segment of only dots and spaces.
    static func isDotSegment(_ bytes: [UInt8]) -> Bool {
        let segment = bytes.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
        let scalars = String(decoding: segment, as: UTF8.self).unicodeScalars
        guard scalars.contains(where: { dotLookalikes.contains($0.value) }) else { return false }
        return scalars.allSatisfy { dotLookalikes.contains($0.value) || $0 == " " }
    }

    /// `.`, FULLWIDTH FULL STOP, ONE DOT LEADER, SMALL FULL STOP, IDEOGRAPHIC FULL STOP,
    /// HALFWIDTH IDEOGRAPHIC FULL STOP.
    private static let dotLookalikes: Set<UInt32> = [0x2E, 0xFF0E, 0x2024, 0xFE52, 0x3002, 0xFF61]

    /// `bytes` with `%XX` decoded, or nil when there is nothing to decode.
    static func percentDecoded(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(UInt8(ascii: "%")) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
                changed = true
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return changed ? output : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isUUID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else if hexValue(byte) == nil {
                return false
            }
        }
        return true
    }

    /// The id as a sentence shows it: escaped for terminals, and cut short when long.
    private static func excerpt(_ id: String) -> String {
        ErrorExcerpt.truncated(TerminalText.escaping(id), to: 40)
    }
}

/// An id `PathID` refused: the job ends `skipped` with `reason`, and nothing is sent.
package struct RefusedPathID: Error, Sendable, Hashable {
    package let reason: String

    package init(reason: String) { self.reason = reason }
}
