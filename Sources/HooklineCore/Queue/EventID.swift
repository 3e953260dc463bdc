/// Hookline's event ids: `evt_` and a ULID (48-bit millisecond time, 80 random bits, Crockford
/// base32), so ids sort by arrival and never repeat across restarts.
package enum EventID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A new id for an event received at `time`.
    package static func make(at time: UnixTime, using generator: inout some RandomNumberGenerator) -> String {
        var output = Array("evt_".utf8)
        output.reserveCapacity(30)
        let millis = UInt64(max(0, time.milliseconds)) & 0xFFFF_FFFF_FFFF
        for shift in stride(from: 45, through: 0, by: -5) {
            output.append(alphabet[Int((millis >> UInt64(shift)) & 0x1F)])
        }
        let high = UInt64.random(in: 0...UInt64.max, using: &generator)
        let low = UInt16.random(in: 0...UInt16.max, using: &generator)
        // 80 random bits as sixteen 5-bit groups: 64 from `high`, 16 from `low`.
        for shift in stride(from: 59, through: 0, by: -5) {
            output.append(alphabet[Int((high >> UInt64(shift)) & 0x1F)])
        }
        let carry = UInt32(high & 0xF) << 16 | UInt32(low)
        for shift in stride(from: 15, through: 0, by: -5) {
            output.append(alphabet[Int((carry >> UInt32(shift)) & 0x1F)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
