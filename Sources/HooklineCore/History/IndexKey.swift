/// What the file store's line index (`AuditIndex`) finds lines by: an event's lines (its
/// duplicates' too), and the openings of a contact's events and of a message. Keys are 64-bit
/// FNV-1a hashes of a kind letter and the id — stable across processes and versions, so an index
/// outlives the process that wrote it. Two ids can share a hash: a reader checks each line it is
/// led to.
package enum IndexKey {
    package static func event(_ id: some StringProtocol) -> UInt64 { hash(UInt8(ascii: "e"), id) }
    package static func contact(_ id: some StringProtocol) -> UInt64 { hash(UInt8(ascii: "c"), id) }
    package static func message(_ id: some StringProtocol) -> UInt64 { hash(UInt8(ascii: "m"), id) }

    /// The keys `line` is found by.
    package static func keys(of line: AuditLineSummary) -> [UInt64] {
        var keys: [UInt64] = []
        append(
            outcome: line.outcome, event: line.event.map(Self.event), into: line.into.map(Self.event), contact: line.contact.map(Self.contact),
            message: line.message.map(Self.message), to: &keys)
        return keys
    }

    /// Which of a line's keys it is found by, given the keys of its ids: its event (and the one
    /// it was folded into), an opening's contact and message, a duplicate's or a coalesced
    /// delivery's message.
    package static func append(outcome: AuditOutcome, event: UInt64?, into: UInt64?, contact: UInt64?, message: UInt64?, to keys: inout [UInt64]) {
        if let event { keys.append(event) }
        if let into, into != event { keys.append(into) }
        switch outcome {
        case .received, .redriven:
            if let contact { keys.append(contact) }
            if let message { keys.append(message) }
        case .duplicate, .coalesced:
            if let message { keys.append(message) }
        default:
            break
        }
    }

    /// FNV-1a, 64 bits.
    static func hash(_ kind: UInt8, _ id: some StringProtocol) -> UInt64 {
        var value = start(kind)
        for byte in id.utf8 { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return value
    }

    /// The same over an id's UTF-8 bytes.
    static func hash(_ kind: UInt8, bytes: UnsafeRawBufferPointer) -> UInt64 {
        var value = start(kind)
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return value
    }

    private static func start(_ kind: UInt8) -> UInt64 {
        let value = (0xcbf2_9ce4_8422_2325 ^ UInt64(kind)) &* 0x0000_0100_0000_01b3
        return (value ^ UInt64(UInt8(ascii: ":"))) &* 0x0000_0100_0000_01b3
    }
}
