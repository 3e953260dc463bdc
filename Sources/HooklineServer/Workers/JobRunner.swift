import HooklineCore
import Logging
import Synchronization
import Tracing

/// Applies one job: resolves a thin reference, plans the calls (`TargetPlanner`), waits for
/// rate-limit slots, calls, and carries out what `AttemptDecision` says after each call — writing
/// one audit line for the attempt (`retry`, `applied`, `skipped`, `failed` or `dead`, plus
/// `created` for each id learned).
package final class JobRunner: Sendable {
    /// Rate-limit waits up to this long are slept in the worker; longer ones park the job.
    static let inlineWait: Duration = .milliseconds(250)

    /// What a reload changes (`update`): each attempt reads it once, at its start, and keeps it.
    struct Settings: Sendable {
        var endpoints: [String: TargetEndpoint]
        var events: EventJobs
        var policy: RetryPolicy
    }

    private let settings: Mutex<Settings>
    let store: any Store
    private let resolved = ResolvedContactCache()
    let metrics: HooklineMetrics?
    /// The alert rules, told each attempt's outcome; nil without rules.
    let alerts: AlertMonitor?
    /// A span per attempt, and one per call in it; nil when tracing is off.
    let tracing: HooklineTracing?
    /// Queues a lane's newest event again after a call went out late (`repairLate`); nil in
    /// tests that run no redrives.
    let repairs: Redriver?
    let logger: Logger

    package init(
        endpoints: [TargetEndpoint],
        events: EventJobs,
        store: any Store,
        retryPolicy: RetryPolicy,
        metrics: HooklineMetrics? = nil,
        alerts: AlertMonitor? = nil,
        tracing: HooklineTracing? = nil,
        repairs: Redriver? = nil,
        logger: Logger = Logger(label: "hookline.workers", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.tracing = tracing
        self.repairs = repairs
        self.settings = Mutex(Settings(endpoints: Dictionary(uniqueKeysWithValues: endpoints.map { ($0.name, $0) }), events: events, policy: retryPolicy))
        self.store = store
        self.metrics = metrics
        self.alerts = alerts
        self.logger = logger
    }

    /// Attempts started from now on use these targets, routes and sources, and retry policy (a
    /// reload); those under way finish with what they started with.
    package func update(endpoints: [TargetEndpoint], events: EventJobs, retryPolicy: RetryPolicy) {
        let next = Settings(endpoints: Dictionary(uniqueKeysWithValues: endpoints.map { ($0.name, $0) }), events: events, policy: retryPolicy)
        settings.withLock { $0 = next }
    }

    /// The targets' endpoints now.
    var endpoints: [String: TargetEndpoint] { settings.withLock { $0.endpoints } }

    /// The state of one attempt, for its audit line.
    struct Attempt {
        var job: Job
        /// The configuration the attempt started with.
        let settings: Settings
        var state: AttemptState
        /// The attempt's span, when tracing is on.
        var span: (any Span)?
        let started = ContinuousClock.now
        var requests: [String] = []
        var created: [String] = []
        /// Calls whose request was written after the lease stopped covering them (`CallFence`).
        var lateCalls: [String] = []

        var elapsedMilliseconds: Int { Int((ContinuousClock.now - started).wholeMilliseconds) }
    }

    /// Runs `job` until it is finished or parked. When the task is cancelled (the drain deadline
    /// passed), the attempt ends without a line: the job stays owed and the next start retries it.
    package func run(_ job: Job) async {
        guard !Task.isCancelled else { return }
        let span = tracing?.startAttempt(job, number: job.attempt + 1)
        await apply(job, span: span)
        span?.end()
    }

    private func apply(_ job: Job, span: (any Span)?) async {
        let settings = self.settings.withLock { $0 }
        guard let endpoint = settings.endpoints[job.target] else {
            let state = AttemptState(number: job.attempt + 1, budgetStart: job.budgetStart, firstAttemptAt: .now(), refreshableCredentials: false)
            var attempt = Attempt(job: job, settings: settings, state: state, span: span)
            await finish(&attempt, .failed, status: nil, error: "no target named \(job.target) is configured")
            return
        }
        var attempt = Attempt(
            job: job,
            settings: settings,
            state: AttemptState(
                number: job.attempt + 1, budgetStart: job.budgetStart, firstAttemptAt: job.firstAttemptAt ?? .now(),
                refreshableCredentials: endpoint.refreshesCredentials),
            span: span)

        // 1. The contact: carried by the job, re-read from the journal, or fetched for a thin one.
        var subject = job.event.contact
        if case .inJournal = subject {
            switch await store.opening(of: job.event.id) {
            case .failure(let error):
                await finish(&attempt, .failed, status: nil, error: "\(error.description)")
                return
            case .success(let record):
                switch settings.events.message(of: record) {
                case .success(let journaled): subject = journaled.message.contact
                case .failure(let failure):
                    await finish(&attempt, .failed, status: nil, error: "the event's journaled line cannot be applied: \(failure)")
                    return
                }
            }
        }
        let patch: ContactPatch
        switch subject {
        case .patch(let carried):
            patch = carried
        case .reference(let reference):
            guard let fetched = await resolve(reference, attempt: &attempt) else { return }
            patch = fetched
        case .inJournal:
            await finish(&attempt, .failed, status: nil, error: "the event's line in the journal holds no contact")
            return
        }

        // 2. The calls.
        let references: any ReferenceLookup
        do {
            var readsReferences = endpoint.client.learnsReferences
            if case .mapping = job.route.contactID { readsReferences = true }
            references =
                readsReferences
                ? try await store.references(at: job.target, prefixes: ReferenceKeys.prefixes(for: job, patch: patch)) : NoReferences()
        } catch {
            await transientFailure(&attempt, "the learned ids could not be read: \(error)")
            return
        }
        let calls: [TargetCall]
        switch TargetPlanner.plan(job, patch: patch, client: endpoint.client, references: references) {
        case .nothing(let reason):
            await finish(&attempt, .skipped, status: nil, error: reason)
            return
        case .calls(let planned):
            calls = planned
        }

        // 3. Each call in turn; a failure ends the attempt.
        guard let slots = await acquireSlots(calls.count, at: endpoint, attempt: &attempt) else { return }
        var lastStatus: Int?
        for (index, call) in calls.enumerated() {
            // Later slots were reserved with the first, one interval apart: waited for here.
            if index > 0 { await Self.sleep(until: slots[index]) }
            attempt.requests.append(call.summary)
            guard let (outcome, learned) = await perform(call, at: endpoint, attempt: &attempt) else { return }
            lastStatus = outcome.status
            if let learned {
                attempt.created.append(learned.id)
                do {
                    let kept = try await store.remember(
                        learned, at: job.target,
                        line: record(attempt, .created, status: outcome.status, error: nil, request: call.summary, ref: learned.id, refKey: learned.key),
                        fence: job.ticket?.claim)
                    guard kept else {
                        // Another instance holds the lane now and may be creating its own: this id is not kept.
                        await fenced(attempt, as: .applied, status: outcome.status, why: "the id \(learned.id) it created is not kept")
                        await store.abandon(attempt.job)
                        return
                    }
                } catch {
                    // Repeating the call would create it again: the operator decides (redrive).
                    await finish(
                        &attempt, .failed, status: outcome.status,
                        error: "\(call.summary) created \(learned.id) at \(job.target), but its id could not be kept (\(error)); the call is not repeated — check the target, then redrive")
                    return
                }
            }
        }
        await finish(&attempt, .applied, status: lastStatus, error: nil)
    }

    /// Sends one call and carries out the decision: its outcome and what it created when the
    /// plan goes on, nil when the attempt ended (retried, failed, dead) or the drain cancelled it.
    private func perform(
        _ call: TargetCall, at endpoint: TargetEndpoint, attempt: inout Attempt
    ) async -> (CallOutcome, LearnedReference?)? {
        guard var outcome = await send(call, at: endpoint, attempt: &attempt) else { return nil }
        while true {
            guard !Task.isCancelled else { return nil }
            let now = MonotonicTime.now()
            if let pause = AttemptDecision.targetPause(after: outcome, policy: attempt.settings.policy) { await endpoint.pause(until: now + pause, now: now) }
            var generator = SystemRandomNumberGenerator()
            switch AttemptDecision.decide(
                outcome, of: call, at: endpoint.name, attempt: attempt.state, now: now, policy: attempt.settings.policy, using: &generator)
            {
            case .proceed(let learned):
                return (outcome, learned)
            case .refreshCredentials:
                attempt.state.refreshedCredentials = true
                guard let refreshed = await send(call, at: endpoint, refreshingToken: true, attempt: &attempt) else { return nil }
                outcome = refreshed
            case .retry(let delay, let status, let error):
                await retry(&attempt, after: delay, status: status, error: error)
                return nil
            case .finish(let outcome, let status, let error):
                await finish(&attempt, outcome, status: status, error: error)
                return nil
            }
        }
    }

    /// Sends `call` if the store permits it at the last moment (a shared store's lease must cover
    /// it). When it does not, the attempt stops here and the job goes back, unfinished; nil.
    private func send(_ call: TargetCall, at endpoint: TargetEndpoint, refreshingToken: Bool = false, attempt: inout Attempt) async -> CallOutcome? {
        let job = attempt.job
        let (result, writtenLate) = await endpoint.perform(
            call, refreshingToken: refreshingToken, lease: LeaseCheck(store, job: job), parent: attempt.span, tracing: tracing)
        if writtenLate { wentOutLate(call, attempt: &attempt) }
        switch result {
        case .success(let outcome):
            return outcome
        case .failure(let refused):
            metrics?.callRefused(target: job.target)
            logger.notice(
                "not starting a call: \(Self.describe(refused.permission)); the job goes back unfinished", metadata: eventMetadata(attempt))
            // The calls this attempt made before this one (listed already, unless it is a repeat
            // with a fresh token) did reach the target: say so.
            let made = refreshingToken ? attempt.requests : Array(attempt.requests.dropLast())
            attempt.note("abandoned", status: nil, error: Self.describe(refused.permission))
            await store.abandon(job)
            let repair = await repairLate(attempt)
            fencedLine(
                attempt, calls: made, reason: nil, status: nil,
                error: "\(Self.describe(refused.permission)); the attempt stopped before its next call" + (repair.map { "; \($0)" } ?? ""))
            return nil
        }
    }

    /// Why a call may not start, in a sentence.
    static func describe(_ permission: CallPermission) -> String {
        switch permission {
        case .granted: "the call is permitted"
        case .lost: "this instance no longer holds the job's lane (another instance took it over)"
        case .expiring(let left, let needed):
            "this instance's lease on the job's lane has \(max(.zero, left).configurationText) left, and a call needs more than \(needed.configurationText) (its timeout and a margin): the lease could not be renewed"
        }
    }

    /// The fetched contact of a thin delivery (cached for the event's other targets), or nil
    /// when the attempt ended (parked, retried or failed).
    private func resolve(_ reference: ContactReference, attempt: inout Attempt) async -> ContactPatch? {
        let event = attempt.job.event
        guard let resolverName = attempt.settings.events.source(named: event.source)?.resolveWith, let resolver = attempt.settings.endpoints[resolverName],
            let fetching = resolver.client as? any ContactFetching
        else {
            await finish(&attempt, .failed, status: nil, error: "source \(event.source) has no resolve_with target to fetch thin deliveries from")
            return nil
        }
        let call: TargetCall
        switch fetching.fetchCall(contactID: reference.id) {
        case .success(let fetch): call = fetch
        case .failure(let refused):
            await finish(&attempt, .skipped, status: nil, error: refused.reason)
            return nil
        }
        if case .cached(let patch) = await resolved.claim(event.id) { return patch }
        var fetched: ContactPatch?
        defer { resolved.complete(event.id, with: fetched) }

        guard await acquireSlots(1, at: resolver, attempt: &attempt) != nil else { return nil }
        attempt.requests.append(call.summary)
        guard case (.answered(let response, _), _)? = await perform(call, at: resolver, attempt: &attempt) else { return nil }
        do {
            fetched = try fetching.patch(fromFetched: response)
            return fetched
        } catch {
            await finish(&attempt, .failed, status: response.status, error: "\(resolverName) answered the fetch with an unusable contact: \(error)")
            return nil
        }
    }

    /// Reserves a slot for each of `count` calls at `endpoint` at once (so a multi-call plan
    /// cannot be overtaken between its calls) and waits for the first: the slots to go on, or
    /// nil when the job was parked until its first slot (it keeps its slots and its lane).
    private func acquireSlots(_ count: Int, at endpoint: TargetEndpoint, attempt: inout Attempt) async -> [MonotonicTime]? {
        let now = MonotonicTime.now()
        var slots: [MonotonicTime] = []
        if let held = attempt.job.reservedSlots, held.target == endpoint.name {
            slots = Array(held.times.prefix(count))
            // A 429 since they were reserved voids them: its pause holds for every call.
            do {
                if let first = slots.first, let paused = try await endpoint.pausedUntil(now: now), paused > first { slots = [] }
            } catch {
                await transientFailure(&attempt, "the shared rate limit could not be read: \(error)")
                return nil
            }
        }
        attempt.job.reservedSlots = nil
        if slots.count < count {
            do {
                slots += try await endpoint.reserveSlots(count - slots.count, now: now)
            } catch {
                await transientFailure(&attempt, "the shared rate limit could not be read: \(error)")
                return nil
            }
        }
        guard let first = slots.first else { return [] }
        if first.since(now) > Self.inlineWait {
            attempt.note("parked", status: nil, retryIn: first.since(now), error: nil)
            attempt.job.reservedSlots = ReservedSlots(target: endpoint.name, times: slots)
            _ = await store.park(attempt.job, until: first, line: nil)
            return nil
        }
        await Self.sleep(until: first)
        return slots
    }

    /// A failure before any call (the store could not be read): retried like an unreachable target.
    private func transientFailure(_ attempt: inout Attempt, _ error: String) async {
        var generator = SystemRandomNumberGenerator()
        switch AttemptDecision.transientFailure(attempt.state, status: nil, error: error, requested: nil, now: .now(), policy: attempt.settings.policy, using: &generator) {
        case .retry(let delay, let status, let error): await retry(&attempt, after: delay, status: status, error: error)
        case .finish(let outcome, let status, let error): await finish(&attempt, outcome, status: status, error: error)
        case .proceed, .refreshCredentials: return
        }
    }

    private static func sleep(until time: MonotonicTime) async {
        let wait = time.since(.now())
        // Cancellation (the drain deadline) ends the wait early; the caller checks it next.
        if wait > .zero { _ = await HooklineRuntime.sleep(for: wait) }
    }
}
