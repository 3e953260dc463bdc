/// Serialises JSON compactly (no spaces), members in their stored order, UTF-8 unescaped
/// except where JSON requires it — the form request bodies and audit lines use.
package enum JSONWriter {
    /// `value` as compact JSON bytes.
    package static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output)
        return output
    }

    /// `value` as compact JSON text.
    package static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    /// Appends `value` to `output`.
    package static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): output.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): output.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .number(let text): output.append(contentsOf: text.utf8)
        case .string(let text): writeString(text, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string literal.
    package static func writeString(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        writeEscaped(text.utf8, into: &output)
        output.append(UInt8(ascii: "\""))
    }

    /// Appends the escaped content of a JSON string (no quotes) for any UTF-8 bytes. Besides
    /// what JSON requires, DEL, C1 controls and the bidirectional and line-separator characters
    /// are written as `\u` escapes: the same string, but one a terminal cannot act on.
    /// An integer in decimal, appended digit by digit (no String on the way).
    package static func writeInteger(_ value: Int, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        let start = output.count
        var remaining = value.magnitude
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(remaining % 10))
            remaining /= 10
        } while remaining > 0
        output[start...].reverse()
    }

    /// The escape of a quote, a backslash, a control character or DEL.
    static func escapeSpecial(_ byte: UInt8, into output: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): escape(UInt8(ascii: "\""), into: &output)
        case UInt8(ascii: "\\"): escape(UInt8(ascii: "\\"), into: &output)
        case 0x0A: escape(UInt8(ascii: "n"), into: &output)
        case 0x0D: escape(UInt8(ascii: "r"), into: &output)
        case 0x09: escape(UInt8(ascii: "t"), into: &output)
        default: writeUnicodeEscape(UInt32(byte), into: &output)
        }
    }

    /// A backslash and `letter`, appended without a temporary array.
    @inline(__always)
    static func escape(_ letter: UInt8, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        output.append(letter)
    }

    package static func writeEscaped(_ bytes: some Collection<UInt8>, into output: inout [UInt8]) {
        // Bytes in one piece (a payload, a native string) take the word-at-a-time path.
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            writeEscaped(contiguous: UnsafeRawBufferPointer(buffer), into: &output)
        }
        guard contiguous == nil else { return }
        // Runs of bytes that need nothing are copied whole; only the others are looked at.
        var index = bytes.startIndex
        var run = index
        while index != bytes.endIndex {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0..<0x20, 0x7F:
                output.append(contentsOf: bytes[run..<index])
                escapeSpecial(byte, into: &output)
                index = bytes.index(after: index)
                run = index
            case 0xC2, 0xE2:
                if let (scalar, end) = terminalControl(in: bytes, at: index) {
                    output.append(contentsOf: bytes[run..<index])
                    writeUnicodeEscape(scalar, into: &output)
                    index = end
                    run = index
                } else {
                    index = bytes.index(after: index)
                }
            default:
                index = bytes.index(after: index)
            }
        }
        output.append(contentsOf: bytes[run..<index])
    }

    /// `line` (JSON) with DEL, C1 controls and the bidirectional and separator characters as
    /// `\u` escapes — characters valid JSON holds only inside strings, so the meaning is unchanged.
    static func escapingTerminalControls(inJSON line: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(line.count + 16)
        var index = 0
        while index < line.count {
            let byte = line[index]
            if byte == 0x7F {
                writeUnicodeEscape(0x7F, into: &output)
            } else if byte == 0xC2 || byte == 0xE2, let (scalar, end) = terminalControl(in: line, at: index) {
                writeUnicodeEscape(scalar, into: &output)
                index = end
                continue
            } else {
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// The C1 control (`C2 80`–`C2 9F`) or bidirectional/separator character (`E2 80 8E`…) whose
    /// UTF-8 starts at `index`, and the index after it.
    static func terminalControl<Bytes: Collection<UInt8>>(in bytes: Bytes, at index: Bytes.Index) -> (UInt32, Bytes.Index)? {
        let second = bytes.index(after: index)
        guard second != bytes.endIndex else { return nil }
        let next = bytes[second]
        if bytes[index] == 0xC2 {
            return (0x80...0x9F).contains(next) ? (UInt32(next), bytes.index(after: second)) : nil
        }
        let third = bytes.index(after: second)
        guard third != bytes.endIndex else { return nil }
        let last = bytes[third]
        let isControl =
            switch next {
            case 0x80: last == 0x8E || last == 0x8F || (0xA8...0xAE).contains(last)  // U+200E/F, U+2028–202E
            case 0x81: (0xA6...0xA9).contains(last)  // U+2066–2069
            default: false
            }
        guard isControl else { return nil }
        return (0x2000 + UInt32(next - 0x80) << 6 + UInt32(last - 0x80), bytes.index(after: third))
    }

    static func writeUnicodeEscape(_ scalar: UInt32, into output: inout [UInt8]) {
        escape(UInt8(ascii: "u"), into: &output)
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hexDigits[Int((scalar >> UInt32(shift)) & 0xF)])
        }
    }
}
