extension JSONWriter {
    /// `writeEscaped` for bytes in one buffer: eight bytes are checked at a time, and each run
    /// that needs nothing is copied with one `memcpy`, so a 600-byte payload costs a few dozen
    /// steps rather than one per byte.
    static func writeEscaped(contiguous bytes: UnsafeRawBufferPointer, into output: inout [UInt8]) {
        output.reserveCapacity(output.count + bytes.count + 16)
        var index = 0
        var run = 0
        while index < bytes.count {
            index = nextSpecial(bytes, from: index)
            guard index < bytes.count else { break }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0..<0x20, 0x7F:
                output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<index]))
                escapeSpecial(byte, into: &output)
                index += 1
                run = index
            default:
                // 0xC2 or 0xE2: the lead byte of a C1 control or a bidirectional character?
                if let (scalar, end) = terminalControl(in: bytes, at: index) {
                    output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<index]))
                    writeUnicodeEscape(scalar, into: &output)
                    index = end
                    run = index
                } else {
                    index += 1
                }
            }
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<bytes.count]))
    }

    /// The index of the first byte from `start` on that may need escaping: `"`, `\`, a control
    /// character, DEL, or 0xC2/0xE2 (which lead C1 controls and bidirectional characters).
    private static func nextSpecial(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        /// High bits set in the bytes of `word` that are zero (the lowest one set is exact).
        func zeros(_ word: UInt64) -> UInt64 { (word &- ones) & ~word & highs }
        while index + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let below = (word &- ones &* 0x20) & ~word & highs
            let special =
                below | zeros(word ^ (ones &* 0x22)) | zeros(word ^ (ones &* 0x5C)) | zeros(word ^ (ones &* 0x7F))
                | zeros(word ^ (ones &* 0xC2)) | zeros(word ^ (ones &* 0xE2))
            if special != 0 { return index + (special.trailingZeroBitCount >> 3) }
            index += 8
        }
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0..<0x20, 0x7F, 0xC2, 0xE2: return index
            default: index += 1
            }
        }
        return index
    }
}
