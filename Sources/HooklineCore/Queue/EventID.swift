/// Hookline's event ids: `evt_` and a ULID (48-bit millisecond time, 80 random bits, Crockford
/// base32), so ids sort by arrival and never repeat across restarts.
package enum EventID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id for an event received at `time`.
    package static func make(at time: UnixTime, using generator: inout some RandomNumberGenerator) -> String {
        let millis = UInt64(max(0, time.milliseconds)) & 0xFFFF_FFFF_FFFF
        let high = UInt64.random(in: 0...UInt64.max, using: &generator)
        let low = UInt16.random(in: 0...UInt16.max, using: &generator)
        // Written straight into the string's storage: one allocation for the id.
        return String(unsafeUninitializedCapacity: length) { output in
            var index = 0
            func append(_ byte: UInt8) {
                output[index] = byte
                index += 1
            }
            for byte in "evt_".utf8 { append(byte) }
            for shift in stride(from: 45, through: 0, by: -5) {
                append(alphabet[Int((millis >> UInt64(shift)) & 0x1F)])
            }
            // 80 random bits as sixteen 5-bit groups: 64 from `high`, 16 from `low`.
            for shift in stride(from: 59, through: 0, by: -5) {
                append(alphabet[Int((high >> UInt64(shift)) & 0x1F)])
            }
            let carry = UInt32(high & 0xF) << 16 | UInt32(low)
            for shift in stride(from: 15, through: 0, by: -5) {
                append(alphabet[Int((carry >> UInt32(shift)) & 0x1F)])
            }
            return index
        }
    }

    /// `evt_` and 26 characters.
    package static let length = 30
}
