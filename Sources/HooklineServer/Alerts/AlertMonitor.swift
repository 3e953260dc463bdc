import HooklineCore
import Synchronization

/// The alert rules at work: ingest and the workers tell it what happens, as it happens; the
/// alerts that makes come out of `alerts` for `AlertService` to record and send. Cheap to tell:
/// a lock held for a few dictionary updates, never a wait.
package final class AlertMonitor: Sendable {
    private let book: Mutex<AlertBook>
    private let continuation: AsyncStream<Alert>.Continuation
    /// What the rules make, in order.
    let alerts: AsyncStream<Alert>
    private let current: Mutex<AlertSettings>
    package var settings: AlertSettings { current.withLock { $0 } }

    package init(settings: AlertSettings) {
        self.current = Mutex(settings)
        self.book = Mutex(AlertBook(rules: settings.rules))
        (alerts, continuation) = AsyncStream.makeStream(of: Alert.self)
    }

    /// Judges by `rules` from now on (a reload): an unchanged rule keeps what it remembers.
    package func update(rules: [AlertRule]) {
        current.withLock { $0.rules = rules }
        book.withLock { $0 = $0.replacing(rules: rules) }
    }

    /// Whether any rule watches how long jobs wait (the store is asked only then).
    var watchesWaiting: Bool {
        settings.rules.contains { if case .oldestWaiting = $0.condition { true } else { false } }
    }

    /// An attempt at `target` ended with `outcome`: `applied` succeeded; `retry`, `failed` and
    /// `dead` did not, and the last two leave a dead letter. Anything else made no call.
    package func attempt(target: String, outcome: AuditOutcome, event: String) {
        let now = MonotonicTime.now()
        let made: [Alert] = book.withLock { book in
            switch outcome {
            case .applied: return book.attempt(at: target, succeeded: true, now: now)
            case .retry: return book.attempt(at: target, succeeded: false, now: now)
            case .failed, .dead: return book.attempt(at: target, succeeded: false, now: now) + book.deadLetter(at: target, event: event, now: now)
            default: return []
            }
        }
        send(made)
    }

    /// A delivery to `source` (a configured one) failed its signature check.
    package func signatureFailure(source: String) {
        let now = MonotonicTime.now()
        send(book.withLock { $0.signatureFailure(at: source, now: now) })
    }

    /// Time passes (windows move on, firing alerts repeat), and how long each target's oldest
    /// job has waited, when known (a target absent from it waits for nothing).
    func tick(oldest: [String: UnixTime]?, targets: [String]) {
        let now = MonotonicTime.now()
        let wallNow = UnixTime.now()
        send(
            book.withLock { book in
                var made = book.tick(now: now)
                if let oldest {
                    for target in targets {
                        let waited = oldest[target].map { max(.zero, wallNow.since($0)) } ?? .zero
                        made += book.oldestWaiting(at: target, waited: waited, now: now)
                    }
                }
                return made
            })
    }

    /// The alerts firing or warning now.
    package var open: [Alert] { book.withLock { $0.open } }

    /// No more alerts: `alerts` ends once what was made is read.
    func finish() { continuation.finish() }

    private func send(_ made: [Alert]) {
        for alert in made { continuation.yield(alert) }
    }
}
