import HooklineCore
import Logging

extension JobRunner {
    /// Writes the attempt's `retry` line and holds the job (and its lane) for `delay`.
    func retry(_ attempt: inout Attempt, after delay: Duration, status: Int?, error: String) async {
        attempt.note(AuditOutcome.retry.rawValue, status: status, retryIn: delay, error: error)
        var line = record(attempt, .retry, status: status, error: error, request: attempt.requests.last)
        line.retryInMs = Int(delay.wholeMilliseconds)
        var job = attempt.job
        job.attempt = attempt.state.number
        job.firstAttemptAt = attempt.state.firstAttemptAt
        switch await store.park(job, until: .now() + delay, line: line) {
        case .written: break
        case .fenced:
            await fenced(attempt, as: .retry, status: status, why: error)
            return
        case .unwritten:
            unwritten(attempt, as: .retry, status: status)
            return
        }
        metrics?.attempt(target: attempt.job.target, outcome: .retry)
        alerts?.attempt(target: attempt.job.target, outcome: .retry, event: attempt.job.event.id)
        logger.debug("retrying", metadata: eventMetadata(attempt).merging(["in_ms": "\(line.retryInMs ?? 0)", "error": .string(error)]) { $1 })
    }

    /// Writes the attempt's terminal line; the job's lane moves on.
    func finish(_ attempt: inout Attempt, _ outcome: AuditOutcome, status: Int?, error: String?) async {
        attempt.note(outcome.rawValue, status: status, error: error)
        var line = record(attempt, outcome, status: status, error: error, request: attempt.requests.isEmpty ? nil : attempt.requests.joined(separator: ", "))
        if !attempt.created.isEmpty { line.ref = attempt.created.joined(separator: ",") }
        switch await store.finish(attempt.job, line: line) {
        case .written: break
        case .fenced:
            await fenced(attempt, as: outcome, status: status, why: error)
            return
        case .unwritten:
            unwritten(attempt, as: outcome, status: status)
            return
        }
        metrics?.attempt(target: attempt.job.target, outcome: outcome)
        alerts?.attempt(target: attempt.job.target, outcome: outcome, event: attempt.job.event.id)
        switch outcome {
        case .failed, .dead:
            logger.warning(
                "\(outcome.rawValue) at \(attempt.job.target)",
                metadata: eventMetadata(attempt).merging(["error": .string(error ?? "")]) { $1 })
        default:
            logger.debug("\(outcome.rawValue) at \(attempt.job.target)", metadata: eventMetadata(attempt))
        }
    }

    /// The attempt's outcome came back fenced: another claim holds the lane now and ends the job.
    /// What this attempt did at the target still goes in the log, as a `fenced` line whose
    /// `reason` is the outcome it would have had. A call of it that went out late is repaired.
    func fenced(_ attempt: Attempt, as outcome: AuditOutcome, status: Int?, why: String?) async {
        attempt.note(AuditOutcome.fenced.rawValue, status: status, error: why)
        metrics?.fenced(target: attempt.job.target)
        logger.warning(
            "this instance's claim on the lane was taken over before the attempt ended; the lane's holder ends the job",
            metadata: eventMetadata(attempt).merging(["would_be": .string(outcome.rawValue)]) { $1 })
        let repair = await repairLate(attempt)
        fencedLine(
            attempt, calls: attempt.requests, reason: outcome, status: status,
            error: "the lane was taken over (this instance stalled or lost the database) before this attempt's outcome was recorded; its holder ends the job"
                + (why.map { "; \($0)" } ?? "") + (repair.map { "; \($0)" } ?? ""))
    }

    /// A call's request was written after the lease stopped covering it: the process stalled
    /// between the last check and the write. Said at once; what it means is known when the
    /// attempt ends (`repairLate`).
    func wentOutLate(_ call: TargetCall, attempt: inout Attempt) {
        attempt.lateCalls.append(call.summary)
        metrics?.lateCall(target: attempt.job.target)
        logger.error(
            "a call went out after this instance's lease on the lane stopped covering it: the process stalled between the last lease check and the write",
            metadata: eventMetadata(attempt).merging(["request": .string(call.summary)]) { $1 })
    }

    /// After an attempt lost its lane (fenced, or stopped as taken over) with calls that went out
    /// late, the target may have applied them after newer updates the lane's new holder sent: the
    /// lane's newest event is queued again for the target (a `redriven` line), at the end of its
    /// lane, so the target ends at it. What was done, in a sentence for the `fenced` line (which
    /// starts with `Self.lateMark`); nil when no call went out late.
    func repairLate(_ attempt: Attempt) async -> String? {
        guard !attempt.lateCalls.isEmpty else { return nil }
        let job = attempt.job
        let repaired = await repairs?.repair(after: job, by: "hookline, after a late call of \(job.event.id)")
        let queued = repaired.map { $0.problem == nil && !$0.targets.isEmpty }
        var sentence = "\(Self.lateMark) (\(attempt.lateCalls.joined(separator: ", "))): the target may have applied it after newer updates; "
        switch repaired {
        case nil:
            sentence += "the lane's newest event is this one, so nothing newer was overtaken"
        case .some(let result) where queued == true:
            sentence += "the lane's newest event, \(result.event), is queued again for \(job.target) to restore it"
        case .some(let result):
            let event = result.event.isEmpty ? "" : ", \(result.event),"
            sentence +=
                "the lane's newest event\(event) could not be queued again (\(result.problem ?? "no target queued")): "
                + "the target may keep the older update until the contact changes again"
        }
        metrics?.lateCallRepair(target: job.target, queued: queued)
        logger.error("a call that went out late, under a lane that changed hands: \(sentence)", metadata: eventMetadata(attempt))
        return sentence
    }

    /// How a `fenced` line's error says that a call of the attempt went out late.
    package static let lateMark = "a call went out after the lease stopped covering it, the process having stalled between the last lease check and the write"

    /// The `fenced` line for the calls an attempt made before it lost its lane; none, no line.
    func fencedLine(_ attempt: Attempt, calls: [String], reason: AuditOutcome?, status: Int?, error: String) {
        guard !calls.isEmpty else { return }
        var line = record(attempt, .fenced, status: status, error: error, request: calls.joined(separator: ", "))
        line.reason = reason?.rawValue
        if !attempt.created.isEmpty { line.ref = attempt.created.joined(separator: ",") }
        store.append(line)
    }

    /// Stopping, the attempt's outcome could not be saved before the drain deadline: the job stays
    /// owed and runs again. Its calls still go in the log, as a `pending` line.
    func unwritten(_ attempt: Attempt, as outcome: AuditOutcome, status: Int?) {
        attempt.note(AuditOutcome.pending.rawValue, status: status, error: "stopping before its outcome was saved")
        guard !attempt.requests.isEmpty else { return }
        var line = record(
            attempt, .pending, status: status, error: "stopping: this attempt's outcome could not be saved in time; the job runs again",
            request: attempt.requests.joined(separator: ", "))
        line.reason = outcome.rawValue
        line.targets = [attempt.job.target]
        store.append(line)
    }

    func eventMetadata(_ attempt: Attempt) -> Logger.Metadata {
        let metadata: Logger.Metadata = [
            "event": .string(attempt.job.event.id), "source": .string(attempt.job.event.source), "target": .string(attempt.job.target),
            "attempt": "\(attempt.state.number)",
        ]
        guard let tracing, attempt.span != nil else { return metadata }
        return metadata.merging(tracing.logMetadata(attempt.span)) { $1 }
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

extension JobRunner.Attempt {
    /// Tells the attempt's span what became of it (tracing on).
    func note(_ outcome: String, status: Int?, retryIn: Duration? = nil, error: String?) {
        guard let span else { return }
        HooklineTracing.noteAttempt(span, outcome: outcome, status: status, retryIn: retryIn, error: error)
    }
}
