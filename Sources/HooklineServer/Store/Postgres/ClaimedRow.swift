import Foundation
import HooklineCore
import PostgresNIO

/// A row `hookline_claim` returned, made into a job through the one path (`EventJobs.restore`).
enum ClaimedRow {
    static func read(
        _ row: PostgresRow, events: EventJobs, now: MonotonicTime
    ) throws -> (job: Job?, record: AuditRecord, ticket: JobTicket, target: String, previous: String?) {
        let cells = row.makeRandomAccess()
        let ticket = JobTicket(id: try cells["job"].decode(Int64.self), lane: try cells["lane"].decode(String.self))
        let target = try cells["target"].decode(String.self)
        let redriven = try cells["opening"].decode(String.self) == AuditOutcome.redriven.rawValue
        let payload = try cells["payload"].decode(ByteBuffer.self)
        let record = AuditRecord(
            ts: UnixTime(try cells["received_at"].decode(Date.self)), outcome: redriven ? .redriven : .received,
            event: try cells["event_id"].decode(String.self), message: try cells["message"].decode(String?.self),
            source: try cells["source"].decode(String.self), type: try cells["type"].decode(String.self),
            contact: try cells["contact"].decode(String.self), targets: try cells["targets"].decode([String].self),
            attempt: redriven ? try cells["budget_start"].decode(Int.self) : nil, payload: Array(payload.readableBytesView))
        let previous = try cells["previous"].decode(String?.self)
        let firstAgo = try cells["first_attempt_ago"].decode(Double?.self)
        let progress = TargetProgress(
            attempts: try cells["attempt"].decode(Int.self), firstAttemptAt: firstAgo.map { now - .milliseconds(Int64($0 * 1000)) })
        guard case .success(let restored) = events.restore(record, owed: [target], progress: [target: progress], keepPatch: true),
            var job = restored.jobs.first
        else { return (nil, record, ticket, target, previous) }
        job.ticket = ticket
        if let slots = try cells["slots"].decode([Double]?.self), let slotsTarget = try cells["slots_target"].decode(String?.self) {
            job.reservedSlots = ReservedSlots(target: slotsTarget, times: slots.map { now + .milliseconds(Int64($0 * 1000)) })
        }
        return (job, record, ticket, target, previous)
    }

    /// Why a claimed job cannot be applied with this configuration.
    static func problem(of record: AuditRecord, target: String, events: EventJobs) -> String {
        switch events.restore(record, owed: [target]) {
        case .failure(let failure): return failure.description
        case .success(let restored) where restored.jobs.isEmpty:
            return "the route from \(record.source ?? "?") to \(target) is no longer configured"
        case .success: return "it could not be made into a job"
        }
    }
}
