/// Hookline's event ids: `evt_` and a ULID (48-bit millisecond time, 80 random bits, Crockford
/// base32), so ids sort by arrival and never repeat across restarts.
package enum EventID {
    /// Crockford's base32 digits: a literal in the binary, not an array made on first use (an
    /// id is made per accepted webhook).
    private static let alphabet: StaticString = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

    /// A new id for an event received at `time`.
    package static func make(at time: UnixTime, using generator: inout some RandomNumberGenerator) -> String {
        // Two draws straight from the generator: the full range of `UInt64.random(in:using:)`
        // without its generic range machinery on every request.
        let high = generator.next()
        let low = UInt16(truncatingIfNeeded: generator.next())
        return make(at: time, high: high, low: low)
    }

    /// The id for `time` with the 80 random bits given as `high` (64) and `low` (16).
    package static func make(at time: UnixTime, high: UInt64, low: UInt16) -> String {
        let millis = UInt64(max(0, time.milliseconds)) & 0xFFFF_FFFF_FFFF
        let digits = alphabet.utf8Start
        // Written straight into the string's storage: one allocation for the id.
        return String(unsafeUninitializedCapacity: length) { output in
            var index = 0
            func append(_ byte: UInt8) {
                output[index] = byte
                index += 1
            }
            func digit(_ value: UInt64) {
                append(digits[Int(value & 0x1F)])
            }
            for byte in "evt_".utf8 { append(byte) }
            for shift in stride(from: 45, through: 0, by: -5) { digit(millis >> UInt64(shift)) }
            // 80 random bits as sixteen 5-bit groups: 64 from `high`, 16 from `low`.
            for shift in stride(from: 59, through: 0, by: -5) { digit(high >> UInt64(shift)) }
            let carry = (high & 0xF) << 16 | UInt64(low)
            for shift in stride(from: 15, through: 0, by: -5) { digit(carry >> UInt64(shift)) }
            return index
        }
    }

    /// `evt_` and 26 characters.
    package static let length = 30
}
