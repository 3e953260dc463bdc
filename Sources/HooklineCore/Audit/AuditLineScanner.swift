/// Reads the fields recovery needs from one audit line without building the rest: the payload
/// and the prose are skipped byte by byte, so a log of a million lines is read in seconds.
/// Accepts any valid JSON object line; returns nil for anything it cannot read.
package enum AuditLineScanner {
    package static func scan(_ line: UnsafeRawBufferPointer) -> AuditLineSummary? {
        var cursor = Cursor(bytes: line)
        cursor.skipSpace()
        guard cursor.take(UInt8(ascii: "{")) else { return nil }
        var ts: UnixTime?
        var outcome: AuditOutcome?
        var summary = AuditLineSummary(ts: UnixTime(milliseconds: 0), outcome: .received)
        cursor.skipSpace()
        if cursor.take(UInt8(ascii: "}")) { return nil }
        while true {
            cursor.skipSpace()
            guard let key = cursor.keyIdentifier() else { return nil }
            cursor.skipSpace()
            guard cursor.take(UInt8(ascii: ":")) else { return nil }
            cursor.skipSpace()
            switch key {
            case .ts:
                guard let time = cursor.timestamp() else { return nil }
                ts = time
            case .outcome:
                guard let value = cursor.outcome() else { return nil }
                outcome = value
            case .event: guard let text = cursor.string() else { return nil }; summary.event = text
            case .message: guard let text = cursor.string() else { return nil }; summary.message = text
            case .source: guard let text = cursor.string() else { return nil }; summary.source = text
            case .target: guard let text = cursor.string() else { return nil }; summary.target = text
            case .ref: guard let text = cursor.string() else { return nil }; summary.ref = text
            case .refKey: guard let text = cursor.string() else { return nil }; summary.refKey = text
            case .by: guard let text = cursor.string() else { return nil }; summary.by = text
            case .contact: guard let text = cursor.string() else { return nil }; summary.contact = text
            case .into: guard let text = cursor.string() else { return nil }; summary.into = text
            case .attempt: guard let number = cursor.integer() else { return nil }; summary.attempt = number
            case .targets:
                guard let list = cursor.stringArray() else { return nil }
                summary.targets = list
            case .other:
                guard cursor.skipValue(depth: 0) else { return nil }
            }
            cursor.skipSpace()
            if cursor.take(UInt8(ascii: ",")) { continue }
            guard cursor.take(UInt8(ascii: "}")) else { return nil }
            break
        }
        guard let ts, let outcome else { return nil }
        summary.ts = ts
        summary.outcome = outcome
        return summary
    }

    /// The line's index keys (`IndexKey`), hashed straight from its bytes: no String is made
    /// unless an id holds an escape. Nil when the line cannot be read.
    package static func indexKeys(_ line: UnsafeRawBufferPointer, into keys: inout [UInt64]) -> Bool {
        var cursor = Cursor(bytes: line)
        cursor.skipSpace()
        guard cursor.take(UInt8(ascii: "{")) else { return false }
        var outcome: AuditOutcome?
        var event: UInt64?
        var into: UInt64?
        var contact: UInt64?
        var message: UInt64?
        cursor.skipSpace()
        if cursor.take(UInt8(ascii: "}")) { return false }
        while true {
            cursor.skipSpace()
            guard let key = cursor.keyIdentifier() else { return false }
            cursor.skipSpace()
            guard cursor.take(UInt8(ascii: ":")) else { return false }
            cursor.skipSpace()
            switch key {
            case .outcome:
                guard let value = cursor.outcome() else { return false }
                outcome = value
            case .event: guard let hash = cursor.hashedString(UInt8(ascii: "e")) else { return false }; event = hash
            case .into: guard let hash = cursor.hashedString(UInt8(ascii: "e")) else { return false }; into = hash
            case .contact: guard let hash = cursor.hashedString(UInt8(ascii: "c")) else { return false }; contact = hash
            case .message: guard let hash = cursor.hashedString(UInt8(ascii: "m")) else { return false }; message = hash
            default:
                guard cursor.skipValue(depth: 0) else { return false }
            }
            cursor.skipSpace()
            if cursor.take(UInt8(ascii: ",")) { continue }
            guard cursor.take(UInt8(ascii: "}")) else { return false }
            break
        }
        guard let outcome else { return false }
        IndexKey.append(outcome: outcome, event: event, into: into, contact: contact, message: message, to: &keys)
        return true
    }

    package static func scan(_ line: [UInt8]) -> AuditLineSummary? {
        line.withUnsafeBytes { scan($0) }
    }

    enum Key {
        case ts, outcome, event, message, source, target, targets, attempt, ref, refKey, by, contact, into, other
    }

    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D || bytes[index] == 0x0A {
                index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A member name, matched against the keys recovery reads without allocating.
        mutating func keyIdentifier() -> Key? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            let name = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
            index += 1
            func equals(_ literal: StaticString) -> Bool {
                guard literal.utf8CodeUnitCount == name.count, let base = name.baseAddress else { return false }
                return memcmp(literal.utf8Start, base, name.count) == 0
            }
            if equals("ts") { return .ts }
            if equals("outcome") { return .outcome }
            if equals("event") { return .event }
            if equals("message") { return .message }
            if equals("source") { return .source }
            if equals("target") { return .target }
            if equals("targets") { return .targets }
            if equals("attempt") { return .attempt }
            if equals("ref") { return .ref }
            if equals("ref_key") { return .refKey }
            if equals("by") { return .by }
            if equals("contact") { return .contact }
            if equals("into") { return .into }
            return .other
        }

        /// All outcomes by their names' bytes, for matching without building a String.
        static let outcomeNames: [(bytes: [UInt8], outcome: AuditOutcome)] = AuditOutcome.allCases.map { (Array($0.rawValue.utf8), $0) }

        mutating func outcome() -> AuditOutcome? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            guard end < bytes.count else { return nil }
            index = end + 1
            let name = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            for candidate in Self.outcomeNames where candidate.bytes.elementsEqual(name) {
                return candidate.outcome
            }
            return nil
        }

        /// A string value, read as strictly as the full parser reads it: escapes are decoded by
        /// the parser itself (rare in ids); a raw control character or invalid UTF-8 makes the
        /// line unreadable, as it does for `AuditRecord(jsonLine:)`.
        mutating func string() -> String? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index
            index += 1
            var escaped = false
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] < 0x20 { return nil }
                if bytes[index] == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                }
                index += 1
            }
            guard index < bytes.count else { return nil }
            index += 1
            if escaped {
                let literal = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                guard case .success(.string(let text)) = Result(catching: { () throws(JSONParseError) in try JSONParser.parse(literal) }) else { return nil }
                return text
            }
            return String(validating: UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(index - 1)]), as: UTF8.self)
        }

        /// A string value's `IndexKey` hash under `kind`, from its bytes; an escaped value is
        /// decoded first, so the hash is the id's whatever its spelling.
        mutating func hashedString(_ kind: UInt8) -> UInt64? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var probe = start
            var escaped = false
            while probe < bytes.count, bytes[probe] != UInt8(ascii: "\"") {
                if bytes[probe] == UInt8(ascii: "\\") {
                    escaped = true
                    probe += 1
                }
                probe += 1
            }
            guard probe < bytes.count else { return nil }
            if escaped {
                guard let text = string() else { return nil }
                return IndexKey.hash(kind, text)
            }
            index = probe + 1
            return IndexKey.hash(kind, bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<probe]))
        }

        mutating func integer() -> Int? {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            guard index > start else { return nil }
            return Int(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }

        mutating func stringArray() -> [String]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var values: [String] = []
            skipSpace()
            if take(UInt8(ascii: "]")) { return values }
            while true {
                skipSpace()
                guard let value = string() else { return nil }
                values.append(value)
                skipSpace()
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "]")) ? values : nil
            }
        }

        /// A timestamp string parsed in place (no String, no array): the audit log's own
        /// `2026-11-22T07:19:05.123Z`, else any RFC 3339 form through the general parser.
        mutating func timestamp() -> UnixTime? {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let base = bytes.baseAddress else { return nil }
            let start = index + 1
            guard let end = memchr(base + start, Int32(UInt8(ascii: "\"")), bytes.count - start) else { return nil }
            let length = base.distance(to: UnsafeRawPointer(end)) - start
            let text = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            index = start + length + 1
            if let fast = UnixTime(compactRFC3339: text) { return fast }
            return String(validating: text, as: UTF8.self).flatMap { UnixTime(rfc3339: $0) }
        }

        /// Skips any JSON value (the payload, the prose); strings without decoding them.
        mutating func skipValue(depth: Int) -> Bool {
            guard depth < 64, index < bytes.count, let base = bytes.baseAddress else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                // memchr to each quote; a quote after an odd run of backslashes is escaped.
                var search = index + 1
                while search < bytes.count {
                    guard let found = memchr(base + search, Int32(UInt8(ascii: "\"")), bytes.count - search) else { return false }
                    let quote = base.distance(to: UnsafeRawPointer(found))
                    var backslashes = 0
                    while quote - backslashes - 1 > index, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
                    if backslashes % 2 == 0 {
                        index = quote + 1
                        return true
                    }
                    search = quote + 1
                }
                return false
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                let isObject = close == UInt8(ascii: "}")
                index += 1
                skipSpace()
                if take(close) { return true }
                while true {
                    skipSpace()
                    if isObject {
                        guard skipValue(depth: depth + 1) else { return false }
                        skipSpace()
                        guard take(UInt8(ascii: ":")) else { return false }
                        skipSpace()
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    skipSpace()
                    if take(UInt8(ascii: ",")) { continue }
                    return take(close)
                }
            default:
                let start = index
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20 { break }
                    index += 1
                }
                return index > start
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
