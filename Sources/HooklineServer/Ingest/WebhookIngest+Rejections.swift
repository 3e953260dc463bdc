import HooklineCore

extension WebhookIngest {
    /// The label requests to a source that does not exist are counted under.
    package static let unknownSourceLabel = "unknown"
    /// Fields a `rejected` line copies from the request are cut to this many characters.
    static let rejectedFieldLimit = 256

    /// What metrics and the rejection budget call a source: its configured name, or `unknown` for
    /// any other name — so requests to made-up names cannot create metric series without limit.
    package func sourceLabel(_ name: String) -> String {
        let names = sourceNames
        guard let index = names.firstIndex(of: name) else { return Self.unknownSourceLabel }
        return names[index]
    }

    /// A delivery to a source this Hookline does not have: recorded, and answered 404.
    package func refuseUnknownSource(_ name: String, remote: String?, receivedAt: UnixTime) -> HTTPAnswer {
        let answer = HTTPAnswer.error(404, "unknown source '\(name)'")
        reject(source: name, answer: answer, reason: "unknown_source", remote: remote, receivedAt: receivedAt)
        return answer
    }

    /// A redelivery of a message already accepted as `original` (seen here, or settled by a shared
    /// store): its `duplicate` line, and the 200 that names the first event.
    func answerDuplicate(of message: ContactMessage, source name: String, receivedAt: UnixTime, original: String) -> HTTPAnswer {
        store.append(
            AuditRecord(
                ts: receivedAt, outcome: .duplicate, message: message.messageID, source: name, type: message.type,
                contact: message.contactID, into: original))
        return .status(200, "duplicate", [("id", .string(original))])
    }

    /// Records a refused request: counted in the metrics always, and written as a `rejected` line
    /// within the budget (one summary line per source and reason stands for the rest).
    package func reject(source: String, answer: HTTPAnswer, reason: String, remote: String?, receivedAt: UnixTime) {
        let label = sourceLabel(source)
        metrics?.rejected(source: label, reason: reason)
        if label != Self.unknownSourceLabel, SignatureRejection.Reason(rawValue: reason) != nil {
            alerts?.signatureFailure(source: label)
        }
        logger.debug(
            "rejected", metadata: ["source": .string(label), "status": "\(answer.status)", "reason": .string(reason), "remote": .string(remote ?? "")])
        let admission = rejections.withLock {
            $0.admit(RejectionBudget.Key(source: label, reason: reason), status: answer.status, now: .now, wallClock: receivedAt)
        }
        write(admission.ended, at: receivedAt)
        guard admission.write else {
            metrics?.suppressed(source: label, reason: reason)
            return
        }
        store.append(
            AuditRecord(
                ts: receivedAt, outcome: .rejected, source: ErrorExcerpt.truncated(source, to: 64), status: answer.status, reason: reason,
                error: answer.errorMessage.map { ErrorExcerpt.truncated($0, to: Self.rejectedFieldLimit) }, remote: remote))
    }

    /// Writes the summary lines of a rejection window that has ended by `now` (called on a timer,
    /// so the last window of a flood is reported even when nothing follows it).
    package func endRejectionWindow(now: ContinuousClock.Instant = .now) {
        write(rejections.withLock { $0.endWindow(ifDueAt: now) }, at: .now())
    }

    private func write(_ summaries: [RejectionBudget.Suppressed], at ts: UnixTime) {
        for summary in summaries {
            store.append(summary.record(at: ts, limits: rejectedLines))
        }
    }
}
