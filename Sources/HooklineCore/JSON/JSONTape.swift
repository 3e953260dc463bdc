#if canImport(Glibc)
import Glibc
#endif

/// A parsed JSON text as one flat array of entries over the bytes it was parsed from: strings
/// and numbers are ranges of those bytes, containers know their member count and where their
/// subtree ends. Reading a field is a scan of its object's members, comparing bytes; a
/// `String` is made only for the values a reader asks for, so decoding a webhook builds no
/// tree. The entries of a webhook-sized body live on the stack; a larger one moves them to
/// the heap.
///
/// A tape reads the bytes it was parsed from and lives only inside `withParsed`.
package enum JSONTape {
    enum Kind: UInt8 {
        case null, `true`, `false`, number, string, array, object
    }

    struct Entry {
        var kind: Kind
        /// Strings only: the text has backslash escapes, so its bytes are not its value.
        var escaped = false
        /// Strings: the first byte after the opening quote; numbers: the first byte.
        var start: UInt32
        /// Strings and numbers: their length in bytes; arrays and objects: their element or
        /// member count.
        var length: UInt32
        /// The index of the entry after this value and everything inside it.
        var end: UInt32
    }

    /// Entries kept on the stack (1 KiB: the standard library stack-allocates temporary
    /// buffers up to that size); a text with more moves them to the heap. The benchmark's
    /// 600-byte contact update has 42.
    static let stackEntries = 64

    /// Parses one JSON text (see `JSONParser` for what is refused) and calls `body` with its
    /// top-level value, or with why it is not JSON. Nodes read the tape through pointers (no
    /// reference counting per read), so they are valid only inside `body`.
    package static func withParsed<Value, Failure: Error>(
        _ bytes: UnsafeRawBufferPointer,
        maximumDepth: Int = JSONParser.defaultMaximumDepth,
        _ body: (Result<JSONNode, JSONParseError>) throws(Failure) -> Value
    ) throws(Failure) -> Value {
        try withUnsafeTemporaryAllocation(of: Entry.self, capacity: stackEntries) { stack throws(Failure) -> Value in
            var entries = JSONEntries(stack: stack)
            defer { entries.release() }
            let parsed: JSONParseError?
            do throws(JSONParseError) {
                try JSONParser.parse(bytes, maximumDepth: maximumDepth, into: &entries)
                parsed = nil
            } catch {
                parsed = error
            }
            return try entries.withUnsafeBufferPointer { entries throws(Failure) -> Value in
                if let parsed { return try body(.failure(parsed)) }
                return try body(.success(JSONNode(tape: JSONTapeView(bytes: bytes, entries: entries), index: 0)))
            }
        }
    }
}

/// A tape read through pointers: the bytes and the entries, both borrowed.
struct JSONTapeView {
    typealias Entry = JSONTape.Entry
    let bytes: UnsafeRawBufferPointer
    let entries: UnsafeBufferPointer<Entry>

    /// The bytes of a string or number entry as written (escapes not decoded).
    func raw(_ index: Int) -> UnsafeRawBufferPointer {
        let entry = entries[index]
        return UnsafeRawBufferPointer(rebasing: bytes[Int(entry.start)..<Int(entry.start + entry.length)])
    }

    /// The value of the string entry at `index` (or the text of a number).
    func string(_ index: Int) -> String {
        let entry = entries[index]
        guard entry.escaped else { return String(decoding: raw(index), as: UTF8.self) }
        return String(decoding: unescaped(index), as: UTF8.self)
    }

    /// The UTF-8 value of an escaped string entry. The parser checked its escapes, so decoding
    /// cannot fail here.
    func unescaped(_ index: Int) -> [UInt8] {
        let text = raw(index)
        var value: [UInt8] = []
        value.reserveCapacity(text.count)
        var cursor = 0
        while cursor < text.count {
            guard text[cursor] == UInt8(ascii: "\\") else {
                value.append(text[cursor])
                cursor += 1
                continue
            }
            guard let scalar = try? JSONEscape.decode(text, at: &cursor) else { break }
            JSONEscape.appendUTF8(scalar, to: &value)
        }
        return value
    }

    /// Whether the string entry at `index` has the value `key` (compared as UTF-8 bytes).
    func stringEquals(_ index: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let entry = entries[index]
        if entry.escaped { return unescaped(index).withUnsafeBytes { Self.bytesEqual($0, key) } }
        guard Int(entry.length) == key.count else { return false }
        return Self.bytesEqual(raw(index), key)
    }

    /// Byte equality by `memcmp`.
    static func bytesEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        guard let first = a.baseAddress, let second = b.baseAddress else { return true }
        return memcmp(first, second, a.count) == 0
    }

    /// Whether the string entries at `a` and `b` have the same value.
    func stringsEqual(_ a: Int, _ b: Int) -> Bool {
        if entries[a].escaped { return unescaped(a).withUnsafeBytes { stringEquals(b, $0) } }
        return stringEquals(b, raw(a))
    }

    /// The value at `index` as a `JSONValue` tree.
    func value(_ index: Int) -> JSONValue {
        let entry = entries[index]
        switch entry.kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(string(index))
        case .string: return .string(string(index))
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(entry.length))
            var child = index + 1
            while child < Int(entry.end) {
                elements.append(value(child))
                child = Int(entries[child].end)
            }
            return .array(elements)
        case .object:
            var members: [JSONObject.Member] = []
            members.reserveCapacity(Int(entry.length))
            var key = index + 1
            while key < Int(entry.end) {
                members.append(JSONObject.Member(key: string(key), value: value(key + 1)))
                key = Int(entries[key + 1].end)
            }
            return .object(JSONObject(members))
        }
    }

    /// Where the value at `target` sits, as a field path (`data.phones[0]`; empty for the root),
    /// found by walking down from the root: paths are made only for error messages.
    func path(to target: Int) -> String {
        var path = ""
        var index = 0
        while index != target {
            let entry = entries[index]
            var child = index + 1
            var position = 0
            var found = false
            while child < Int(entry.end) {
                let valueIndex = entry.kind == .object ? child + 1 : child
                let valueEnd = Int(entries[valueIndex].end)
                if target >= valueIndex && target < valueEnd {
                    if entry.kind == .object {
                        path += path.isEmpty ? string(child) : ".\(string(child))"
                    } else {
                        path += "[\(position)]"
                    }
                    index = valueIndex
                    found = true
                    break
                }
                child = valueEnd
                position += 1
            }
            guard found else { return path }
        }
        return path
    }
}
