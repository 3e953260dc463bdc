/// What the audit log keeps of a payload once nothing needs it whole (`audit.payloads`).
///
/// A payload is what recovery, a deep queue and redrive decode again, so it is kept whole while
/// its event is owed: in the live audit log (the file store's journal) and in the database's
/// events. What is kept longer — an archived log, a finished event's row, a fleet instance's own
/// log — is kept as this says.
package enum PayloadKeeping: String, Sendable, Hashable, CaseIterable {
    /// The body exactly as received.
    case full
    /// The structure and ids, with personal values masked (`PersonalFields`); a payload with
    /// nothing personal (a Buildr thin message) stays whole, and can be redriven.
    case redacted
    /// No payload.
    case none

    /// `record` as kept: an opening's payload redacted or dropped, and `payloadKept` saying so.
    /// Other lines, and openings already kept less or erased, are returned as they are.
    package func keep(_ record: AuditRecord) -> AuditRecord {
        guard self != .full, record.outcome == .received || record.outcome == .redriven, let payload = record.payload,
            record.payloadKept == nil, record.erased == nil
        else { return record }
        var kept = record
        switch self {
        case .full:
            break
        case .none:
            kept.payload = nil
            kept.payloadKept = PayloadKept.none
        case .redacted:
            if let (redacted, masked) = PersonalFields.redact(payload) {
                guard masked else { return record }
                kept.payload = redacted
                kept.payloadKept = .redacted
            } else {
                // Not JSON (no decoder took it whole): nothing tells its personal values apart.
                kept.payload = nil
                kept.payloadKept = PayloadKept.none
            }
        }
        return kept
    }

    /// One line of a file (without its newline) as kept, newline included; nil when it stays as
    /// it is. Lines without a payload are not parsed.
    package func keep(line: some Collection<UInt8>) -> [UInt8]? {
        guard self != .full, line.containsBytes(Self.payloadKey), let record = try? AuditRecord(jsonLine: line) else { return nil }
        let kept = keep(record)
        return kept == record ? nil : kept.jsonLine
    }

    private static let payloadKey = Array(#","payload":""#.utf8)
}
