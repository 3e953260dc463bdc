import HooklineCore
import Logging

extension JobRunner {
    /// Writes the attempt's `retry` line and holds the job (and its lane) for `delay`.
    func retry(_ attempt: inout Attempt, after delay: Duration, status: Int?, error: String) async {
        var line = record(attempt, .retry, status: status, error: error, request: attempt.requests.last)
        line.retryInMs = Int(delay.wholeMilliseconds)
        var job = attempt.job
        job.attempt = attempt.state.number
        job.firstAttemptAt = attempt.state.firstAttemptAt
        guard await board.park(job, until: .now() + delay, line: line, in: journal) else {
            logger.notice("another instance took this job over; it ends the job", metadata: eventMetadata(attempt))
            return
        }
        metrics?.attempt(target: attempt.job.target, outcome: .retry)
        logger.debug("retrying", metadata: eventMetadata(attempt).merging(["in_ms": "\(line.retryInMs ?? 0)", "error": .string(error)]) { $1 })
    }

    /// Writes the attempt's terminal line; the job's lane moves on.
    func finish(_ attempt: inout Attempt, _ outcome: AuditOutcome, status: Int?, error: String?) async {
        var line = record(attempt, outcome, status: status, error: error, request: attempt.requests.isEmpty ? nil : attempt.requests.joined(separator: ", "))
        if !attempt.created.isEmpty { line.ref = attempt.created.joined(separator: ",") }
        guard await board.finish(attempt.job, line: line, in: journal) else {
            logger.notice("another instance took this job over; it ends the job", metadata: eventMetadata(attempt))
            return
        }
        metrics?.attempt(target: attempt.job.target, outcome: outcome)
        switch outcome {
        case .failed, .dead:
            logger.warning(
                "\(outcome.rawValue) at \(attempt.job.target)",
                metadata: eventMetadata(attempt).merging(["error": .string(error ?? "")]) { $1 })
        default:
            logger.debug("\(outcome.rawValue) at \(attempt.job.target)", metadata: eventMetadata(attempt))
        }
    }

    private func eventMetadata(_ attempt: Attempt) -> Logger.Metadata {
        [
            "event": .string(attempt.job.event.id), "source": .string(attempt.job.event.source), "target": .string(attempt.job.target),
            "attempt": "\(attempt.state.number)",
        ]
    }

    func record(
        _ attempt: Attempt, _ outcome: AuditOutcome, status: Int?, error: String?, request: String?, ref: String? = nil, refKey: String? = nil
    ) -> AuditRecord {
        let event = attempt.job.event
        return AuditRecord(
            ts: .now(), outcome: outcome, event: event.id, source: event.source, type: event.type, contact: event.contactID,
            target: attempt.job.target, attempt: attempt.state.number, status: status, ms: attempt.elapsedMilliseconds, request: request,
            ref: ref, refKey: refKey, error: error)
    }
}
