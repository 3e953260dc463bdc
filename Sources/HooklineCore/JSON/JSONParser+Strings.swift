extension JSONParser {
    /// Checks a string — escapes, control characters, UTF-8 — and appends its entry.
    mutating func parseString() throws(JSONParseError) {
        let start = index
        index += 1
        let contentStart = index
        var escaped = false
        var ascii = true
        while index < bytes.count {
            index = Self.plainRun(bytes, from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let content = UnsafeRawBufferPointer(rebasing: bytes[contentStart..<index])
                guard ascii || UTF8Validation.isValid(content) else {
                    throw JSONParseError(offset: contentStart, problem: "the string starting here is not valid UTF-8")
                }
                entries.append(
                    JSONTape.Entry(kind: .string, escaped: escaped, start: UInt32(contentStart), length: UInt32(content.count), end: UInt32(entries.count + 1)))
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                _ = try JSONEscape.decode(bytes, at: &index)
                continue
            }
            if byte < 0x20 { throw error("control character 0x\(Hex.encode([byte])) must be escaped in a string") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw JSONParseError(offset: start, problem: "unterminated string")
    }

    /// The index of the first byte from `start` on that a string cannot take as it is: a
    /// quote, a backslash, a control character or a non-ASCII byte. Eight bytes at a time.
    private static func plainRun(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            // A byte is special if its high bit is set, it is below 0x20, or it is '"' or '\\'.
            let below = (word &- ones &* 0x20) & ~word
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = (below | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | word) & highs
            if special != 0 { return index + (special.trailingZeroBitCount >> 3) }
            index += 8
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            index += 1
        }
        return index
    }
}
