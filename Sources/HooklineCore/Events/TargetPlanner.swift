/// What one job sends once its contact's fields are known: the target's contact id by the
/// route's rule, then the target client's calls — or why it sends nothing. The worker and
/// `replay --dry-run` plan through this one function.
package enum TargetPlanner {
    package static func plan(
        _ job: Job,
        patch: ContactPatch,
        client: any TargetClient,
        references: some ReferenceLookup
    ) -> TargetPlan {
        let event = job.event
        switch ContactIDResolver.targetContactID(
            rule: job.route.contactID, target: job.target, source: event.source, sourceContactID: event.contactID, patch: patch,
            references: references)
        {
        case .failure(let missing):
            // A contact with no counterpart at this target: nothing to send, not an error.
            return .nothing(reason: missing.message)
        case .success(let contactID):
            let change = TargetChange(kind: event.kind, patch: patch, contactID: contactID, sourceContactID: event.contactID, source: event.source)
            return client.plan(change, references: references)
        }
    }
}
