import Foundation
import HooklineCore
import PostgresNIO

/// A lane's head job as `hookline_claim` (or a finish that kept the lane) handed it over, made
/// into a job through the one path (`EventJobs.restore`) — or the reason it cannot be applied.
struct ClaimedRow {
    let ticket: JobTicket
    let target: String
    let event: String
    /// The instance whose lease ran out, when this claim was a takeover.
    let previous: String?
    /// The event's opening, or nil when its row is gone.
    let record: AuditRecord?
    /// The job, or why there is none.
    let job: Result<Job, Problem>

    /// Why a claimed head cannot be applied here: it ends `failed`, saying so, and its lane moves on.
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// The row's claim and head job; throws only when the row does not even say which job it is.
    static func read(_ row: PostgresRow, events: EventJobs, now: MonotonicTime) throws -> ClaimedRow {
        let cells = row.makeRandomAccess()
        let ticket = JobTicket(
            id: try cells["job"].decode(Int64.self), lane: try cells["lane"].decode(String.self), token: try cells["token"].decode(Int64.self))
        let target = try cells["target"].decode(String.self)
        let event = try cells["event_id"].decode(String.self)
        let previous = try cells["previous"].decode(String?.self)
        guard try cells["source"].decode(String?.self) != nil else {
            let problem = Problem(description: "its event is no longer in the store (pruned after store.retention, or deleted), so there is nothing to apply")
            return ClaimedRow(ticket: ticket, target: target, event: event, previous: previous, record: nil, job: .failure(problem))
        }
        let record: AuditRecord
        do {
            let redriven = try cells["opening"].decode(String.self) == AuditOutcome.redriven.rawValue
            let payload = try cells["payload"].decode(ByteBuffer.self)
            record = AuditRecord(
                ts: UnixTime(try cells["received_at"].decode(Date.self)), outcome: redriven ? .redriven : .received, event: event,
                message: try cells["message"].decode(String?.self), source: try cells["source"].decode(String.self),
                type: try cells["type"].decode(String.self), contact: try cells["contact"].decode(String.self),
                targets: try cells["targets"].decode([String].self), attempt: redriven ? try cells["budget_start"].decode(Int.self) : nil,
                trace: try cells["trace"].decode(String?.self), payload: Array(payload.readableBytesView))
        } catch {
            let problem = Problem(description: "its event's row cannot be read (\(error))")
            return ClaimedRow(ticket: ticket, target: target, event: event, previous: previous, record: nil, job: .failure(problem))
        }
        let job: Result<Job, Problem>
        do {
            job = try restore(cells, record: record, target: target, ticket: ticket, events: events, now: now)
        } catch {
            job = .failure(Problem(description: "its progress cannot be read (\(error))"))
        }
        return ClaimedRow(ticket: ticket, target: target, event: event, previous: previous, record: record, job: job)
    }

    private static func restore(
        _ cells: PostgresRandomAccessRow, record: AuditRecord, target: String, ticket: JobTicket, events: EventJobs, now: MonotonicTime
    ) throws -> Result<Job, Problem> {
        let firstAgo = try cells["first_attempt_ago"].decode(Double?.self)
        let progress = TargetProgress(
            attempts: try cells["attempt"].decode(Int.self), firstAttemptAt: firstAgo.map { now - .milliseconds(Int64($0 * 1000)) })
        switch events.restore(record, owed: [target], progress: [target: progress], keepPatch: true) {
        case .failure(let failure):
            return .failure(Problem(description: failure.description))
        case .success(let restored):
            guard var job = restored.jobs.first else {
                return .failure(Problem(description: "the route from \(record.source ?? "?") to \(target) is no longer configured"))
            }
            job.ticket = ticket
            if let slots = try cells["slots"].decode([Double]?.self), let slotsTarget = try cells["slots_target"].decode(String?.self) {
                job.reservedSlots = ReservedSlots(target: slotsTarget, times: slots.map { now + .milliseconds(Int64($0 * 1000)) })
            }
            return .success(job)
        }
    }

    /// A job standing for the head, to end it `failed` through the usual finish when it cannot be applied.
    func standIn() -> Job {
        var job = Job(
            event: ContactEvent(
                id: event, messageID: record?.message, source: record?.source ?? "", type: record?.type ?? "", kind: .updated,
                receivedAt: record?.ts ?? .now(), contactID: record?.contact ?? "", contact: .inJournal),
            route: Route(source: record?.source ?? "", target: target))
        job.ticket = ticket
        return job
    }
}
