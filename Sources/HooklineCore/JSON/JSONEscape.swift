/// JSON's backslash escapes, read in one place: the parser checks them with it and the tape
/// decodes them with it, so the two cannot disagree.
enum JSONEscape {
    /// The scalar written by the escape whose backslash is at `index`, which moves past it.
    /// A `\u` high surrogate takes the `\u` low surrogate after it.
    static func decode(_ bytes: UnsafeRawBufferPointer, at index: inout Int) throws(JSONParseError) -> UInt32 {
        index += 1
        guard index < bytes.count else { throw JSONParseError(offset: index, problem: "unterminated escape sequence") }
        let escaped = bytes[index]
        index += 1
        switch escaped {
        case UInt8(ascii: "\""): return 0x22
        case UInt8(ascii: "\\"): return 0x5C
        case UInt8(ascii: "/"): return 0x2F
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "u"):
            var scalar = try hexQuad(bytes, at: &index)
            if (0xD800..<0xDC00).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(offset: index, problem: "a high surrogate \\u escape must be followed by a low surrogate")
                }
                index += 2
                let low = try hexQuad(bytes, at: &index)
                guard (0xDC00..<0xE000).contains(low) else {
                    throw JSONParseError(offset: index, problem: "invalid low surrogate in \\u escape")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw JSONParseError(offset: index, problem: "a low surrogate \\u escape without a high surrogate")
            }
            return scalar
        default:
            index -= 1
            throw JSONParseError(offset: index, problem: "invalid escape \\\(JSONParser.describe(bytes, at: index))")
        }
    }

    private static func hexQuad(_ bytes: UnsafeRawBufferPointer, at index: inout Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONParseError(offset: index, problem: "a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError(offset: index, problem: "a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Appends the UTF-8 encoding of `scalar` (a scalar value the escape grammar allows).
    static func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
        guard let unicode = Unicode.Scalar(scalar) else { return }
        bytes.append(contentsOf: unicode.utf8)
    }
}

/// UTF-8 validation without building a `String` (which allocates past 15 bytes).
enum UTF8Validation {
    /// Whether `bytes` are well-formed UTF-8: no overlong forms, surrogates or values past U+10FFFF.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
