/// Standard base64 (RFC 4648 §4), the encoding of Standard Webhooks signatures and secrets.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    /// `bytes` in padded standard base64.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output = [UInt8]()
        output.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            output.append(alphabet[Int(chunk >> 18 & 0x3F)])
            output.append(alphabet[Int(chunk >> 12 & 0x3F)])
            output.append(alphabet[Int(chunk >> 6 & 0x3F)])
            output.append(alphabet[Int(chunk & 0x3F)])
            index += 3
        }
        let remaining = input.count - index
        if remaining > 0 {
            let second = remaining == 2 ? UInt32(input[index + 1]) : 0
            let chunk = UInt32(input[index]) << 16 | second << 8
            output.append(alphabet[Int(chunk >> 18 & 0x3F)])
            output.append(alphabet[Int(chunk >> 12 & 0x3F)])
            output.append(remaining == 2 ? alphabet[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil if it is not base64. Padding may be present or omitted;
    /// any other character, or a length no encoder produces, is rejected.
    package static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var output = [UInt8]()
        output.reserveCapacity(text.utf8.count * 3 / 4)
        guard decode(utf8: text.utf8, emit: { output.append($0); return true }) else { return nil }
        return output
    }

    /// Decodes base64 text, given as its UTF-8 bytes, into `buffer` without allocating: the
    /// number of bytes written, or nil if `text` is not base64 or its bytes do not fit.
    package static func decode(bytes text: some Collection<UInt8>, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        var written = 0
        let decoded = decode(utf8: text) { byte in
            guard written < buffer.count else { return false }
            buffer[written] = byte
            written += 1
            return true
        }
        return decoded ? written : nil
    }

    /// Decodes `text`, handing each byte to `emit` (which may stop it by returning false).
    private static func decode(utf8: some Collection<UInt8>, emit: (UInt8) -> Bool) -> Bool {
        // Read in place: the run of '=' at the end is the padding, the rest the characters (an
        // '=' anywhere else is not in the alphabet and fails below). No copy of the text.
        var padding = 0
        var total = 0
        for byte in utf8 {
            padding = byte == UInt8(ascii: "=") ? padding + 1 : 0
            total += 1
        }
        let count = total - padding
        let characters = utf8.prefix(count)
        guard padding <= 2, count % 4 != 1 else { return false }
        if padding > 0, (count + padding) % 4 != 0 { return false }

        var accumulator: UInt32 = 0
        var bits = 0
        for character in characters {
            let value = reverse[Int(character)]
            guard value != 0xFF else { return false }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                guard emit(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))) else { return false }
            }
        }
        // Leftover bits must be zero, or two encodings would decode to the same bytes.
        return accumulator & ((1 << UInt32(bits)) - 1) == 0
    }
}
