/// A strict RFC 8259 parser over raw bytes: UTF-8 is validated, nesting is bounded (so hostile
/// input cannot exhaust the stack), a member name may appear only once per object, and errors
/// carry the byte offset.
///
/// Duplicate names are refused rather than resolved: parsers disagree on which one wins (first or
/// last), so a body that means one thing to its sender's validation could mean another here.
///
/// The grammar is checked once, here, into a `JSONTape`; a `JSONValue` tree is built from the
/// tape only when one is asked for (`parse`).
package struct JSONParser {
    /// The deepest nesting of arrays and objects accepted.
    package static let defaultMaximumDepth = 64

    /// Past this many members, an object's names are checked for repeats through a set.
    private static let scanLimit = 16

    let bytes: UnsafeRawBufferPointer
    private let maximumDepth: Int
    var index = 0
    var entries: JSONEntries

    private init(bytes: UnsafeRawBufferPointer, maximumDepth: Int, entries: JSONEntries) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
        self.entries = entries
    }

    /// Parses one JSON text into tape entries; only whitespace may follow it. `entries` holds
    /// what was parsed when this returns or throws (the caller frees it).
    static func parse(_ bytes: UnsafeRawBufferPointer, maximumDepth: Int, into entries: inout JSONEntries) throws(JSONParseError) {
        guard bytes.count < Int(UInt32.max) else {
            throw JSONParseError(offset: 0, problem: "the text is longer than 4 GiB")
        }
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth, entries: entries)
        defer { entries = parser.entries }
        parser.skipWhitespace()
        guard parser.index < bytes.count else {
            throw JSONParseError(offset: 0, problem: bytes.isEmpty ? "the body is empty" : "only whitespace")
        }
        try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw JSONParseError(offset: parser.index, problem: "unexpected \(parser.describeCurrent()) after the JSON value")
        }
    }

    /// Parses one JSON text into a tree; only whitespace may follow it.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maximumDepth: Int = defaultMaximumDepth
    ) throws(JSONParseError) -> JSONValue {
        try JSONTape.withParsed(bytes, maximumDepth: maximumDepth) { parsed throws(JSONParseError) in try parsed.get().value }
    }

    /// Parses JSON held in an array.
    package static func parse(_ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) in try parse(buffer, maximumDepth: maximumDepth) }
        }.get()
    }

    /// Parses JSON held in a string.
    package static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    // MARK: - Grammar

    private mutating func parseValue(depth: Int) throws(JSONParseError) {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): try parseString()
        case UInt8(ascii: "t"): try literal("true", .true)
        case UInt8(ascii: "f"): try literal("false", .false)
        case UInt8(ascii: "n"): try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    /// Appends a container's entry, to be completed by `close`.
    private mutating func open(_ kind: JSONTape.Kind) -> Int {
        entries.append(JSONTape.Entry(kind: kind, start: UInt32(index), length: 0, end: 0))
        return entries.count - 1
    }

    private mutating func close(_ container: Int, count: Int) {
        entries[container].length = UInt32(count)
        entries[container].end = UInt32(entries.count)
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) {
        guard depth <= maximumDepth else { throw error("nested deeper than \(maximumDepth) levels") }
        let object = open(.object)
        index += 1
        var count = 0
        // Past a few members, names are checked for repeats through a set, not a scan.
        var names: Set<String>?
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            close(object, count: 0)
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(index < bytes.count ? "expected a member name in double quotes, found \(describeCurrent())" : "unexpected end of input inside an object")
            }
            let keyOffset = index
            try parseString()
            let key = entries.count - 1
            if names == nil, count >= Self.scanLimit { names = Set(memberKeys(of: object, before: key).map { name($0) }) }
            let repeated = if names != nil { !names!.insert(name(key)).inserted } else { isRepeated(key, in: object) }
            guard !repeated else {
                throw JSONParseError(offset: keyOffset, problem: "duplicate member name \"\(ErrorExcerpt.truncated(name(key), to: 64))\" (each name may appear once in an object)")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error(index < bytes.count ? "expected ':' after member name \"\(name(key))\"" : "unexpected end of input inside an object")
            }
            index += 1
            skipWhitespace()
            try parseValue(depth: depth)
            count += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                close(object, count: count)
                return
            default: throw error("expected ',' or '}' after member \"\(name(key))\", found \(describeCurrent())")
            }
        }
    }

    /// Calls `body` with the entries so far, read as a tape (for comparing and quoting names).
    private func withTape<Result>(_ body: (JSONTapeView) -> Result) -> Result {
        entries.withUnsafeBufferPointer { body(JSONTapeView(bytes: bytes, entries: $0)) }
    }

    /// The name in the key entry `key`.
    private func name(_ key: Int) -> String { withTape { $0.string(key) } }

    /// Whether an earlier member of `object` has the name of the key entry `key`.
    private func isRepeated(_ key: Int, in object: Int) -> Bool {
        withTape { tape in
            var member = object + 1
            while member < key {
                if tape.stringsEqual(member, key) { return true }
                member = Int(tape.entries[member + 1].end)
            }
            return false
        }
    }

    /// The key entries of `object`'s members that come before the key entry `key`.
    private func memberKeys(of object: Int, before key: Int) -> [Int] {
        var keys: [Int] = []
        var member = object + 1
        while member < key {
            keys.append(member)
            member = Int(entries[member + 1].end)
        }
        return keys
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) {
        guard depth <= maximumDepth else { throw error("nested deeper than \(maximumDepth) levels") }
        let array = open(.array)
        index += 1
        var count = 0
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            close(array, count: 0)
            return
        }
        while true {
            skipWhitespace()
            try parseValue(depth: depth)
            count += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                close(array, count: count)
                return
            default: throw error("expected ',' or ']' in an array, found \(describeCurrent())")
            }
        }
    }

    private mutating func parseNumber() throws(JSONParseError) {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit in a number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw error("a number may not have a leading zero") }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit after the decimal point") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("expected a digit in the exponent") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        entries.append(JSONTape.Entry(kind: .number, start: UInt32(start), length: UInt32(index - start), end: UInt32(entries.count + 1)))
    }

    private mutating func literal(_ literal: StaticString, _ kind: JSONTape.Kind) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input, expected \(literal)") }
        let expected = UnsafeRawBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where bytes[index + offset] != expected[offset] {
            throw error("unexpected \(describeCurrent()), expected a value")
        }
        entries.append(JSONTape.Entry(kind: kind, start: UInt32(index), length: UInt32(count), end: UInt32(entries.count + 1)))
        index += count
    }

    // MARK: - Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func describeCurrent() -> String { Self.describe(bytes, at: index) }

    /// The byte at `index` for an error message: `'x'`, `byte 0x0a` or `end of input`.
    static func describe(_ bytes: UnsafeRawBufferPointer, at index: Int) -> String {
        guard index < bytes.count else { return "end of input" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(Hex.encode([byte]))"
    }

    func error(_ problem: String) -> JSONParseError {
        JSONParseError(offset: index, problem: problem)
    }
}
