import HooklineCore
import Testing

/// Several instances' logs read as one.
@Suite("audit: merging several logs")
struct AuditLogMergeTests {
    static func at(_ milliseconds: Int64, _ outcome: AuditOutcome, _ event: String? = "evt_a", target: String? = nil, attempt: Int? = nil) -> AuditRecord {
        AuditRecord(ts: UnixTime(milliseconds: 1_764_000_000_000 + milliseconds), outcome: outcome, event: event, target: target, attempt: attempt)
    }

    @Test("lines come out in time order; within a millisecond, file order, then the files' order")
    func order() {
        let first = [Self.at(0, .received, "evt_a"), Self.at(5, .received, "evt_b"), Self.at(5, .retry, "evt_a", target: "omni", attempt: 1)]
        // A line copied after a restart sits after later lines of its file.
        let second = [Self.at(3, .received, "evt_c"), Self.at(9, .applied, "evt_c", target: "omni", attempt: 1), Self.at(5, .applied, "evt_b", target: "omni", attempt: 1)]
        let merged = AuditLogMerge.merged([first, second])
        #expect(merged.map(\.ts.milliseconds) == [0, 3, 5, 5, 5, 9].map { 1_764_000_000_000 + $0 })
        #expect(merged[2] == first[1] && merged[3] == first[2] && merged[4] == second[2])
        #expect(AuditLogMerge.merged([first]) == first)
        #expect(AuditLogMerge.merged([]).isEmpty)
    }

    @Test("an opening or a terminal line found in two logs (an adopted copy) counts once; other lines are kept as they are")
    func adoptedCopies() {
        let received = Self.at(1, .received, "evt_a")
        let applied = Self.at(2, .applied, "evt_a", target: "omni", attempt: 1)
        let duplicate = Self.at(3, .duplicate, nil)
        let merged = AuditLogMerge.merged([[received, applied, duplicate], [applied, duplicate, received]])
        #expect(merged == [received, applied, duplicate, duplicate])
        // Within one log nothing is dropped: a repeat there is a fault for the checks to see.
        #expect(AuditLogMerge.merged([[applied, applied], []]) == [applied, applied])
        // Lines that differ in any field are different lines.
        let again = Self.at(2, .applied, "evt_a", target: "omni", attempt: 2)
        #expect(AuditLogMerge.merged([[applied], [again]]) == [applied, again])
    }
}
