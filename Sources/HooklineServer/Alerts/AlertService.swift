import HooklineCore
import Logging
import ServiceLifecycle
import Synchronization

/// Does what the alert rules say: every second it moves the rules' windows on (and, every five,
/// samples how long each target's oldest job waits); each alert made is recorded in the store —
/// which, in a fleet, lets one instance send it — then sent to its channels, one queue per
/// channel so an alert never overtakes the one before it, retried with backoff. An alert that
/// pauses a target pauses it first. A failed delivery is logged and counted.
///
/// At shutdown it stops judging, and what is queued gets one more try each within
/// `shutdownGrace`; whatever is left is logged as not sent.
struct AlertService: Service {
    let monitor: AlertMonitor
    let store: any Store
    let delivery: AlertDelivery
    /// The configured targets' names (they change with a reload).
    let targets: @Sendable () -> [String]
    let metrics: HooklineMetrics?
    let logger: Logger
    /// The console's public address, for a link in each alert.
    var consoleURL: String?
    var tick: Duration = .seconds(1)
    var retry = RetryPolicy(baseDelay: .seconds(1), maxDelay: .seconds(60), maxAttempts: 8, maxAge: .seconds(600))
    static let waitingSampleEvery = 5
    static let shutdownGrace: Duration = .seconds(5)

    func run() async {
        let channels = Dictionary(uniqueKeysWithValues: monitor.settings.channels.map { ($0.name, ChannelQueue(channel: $0)) })
        let stopping = StopFlag()
        // Each task says whether it was the grace timer.
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await judge()
                return false
            }
            for queue in channels.values {
                group.addTask {
                    await deliver(queue, stopping: stopping)
                    return false
                }
            }
            group.addTask {
                for await alert in monitor.alerts { await handle(alert, channels: channels) }
                for queue in channels.values { queue.finish() }
                return false
            }
            try? await gracefulShutdown()
            stopping.raise()
            monitor.finish()
            // Judging ends with the shutdown; the queues get `shutdownGrace` to empty.
            group.addTask { _ = await HooklineRuntime.sleep(for: Self.shutdownGrace); return true }
            var working = channels.count + 2
            while working > 0, let timer = await group.next(), !timer { working -= 1 }
            group.cancelAll()
        }
        for queue in channels.values {
            for left in queue.drain() { unsent(left.message, to: left.channel, why: "Hookline was shutting down") }
        }
        await delivery.shutdown()
    }

    /// Every `tick`: the rules' windows and repeats; every `waitingSampleEvery` ticks, the
    /// store's oldest waiting job per target, when a rule watches it. Ends at shutdown.
    private func judge() async {
        var turn = 0
        while await HooklineRuntime.sleep(for: tick), !Task.isShuttingDownGracefully {
            turn += 1
            var oldest: [String: UnixTime]?
            if monitor.watchesWaiting, turn % Self.waitingSampleEvery == 0 {
                do {
                    oldest = try await store.oldestWaiting()
                } catch {
                    logger.warning("could not read how long jobs wait, for the alert rules", metadata: ["error": "\(error)"])
                }
            }
            monitor.tick(oldest: oldest, targets: targets())
        }
    }

    /// Pauses what the alert says to, records it, and queues it for its channels if this
    /// instance is the one to send it.
    private func handle(_ alert: Alert, channels: [String: ChannelQueue]) async {
        let now = UnixTime.now()
        let message = AlertMessage(
            alert: alert, since: now - MonotonicTime.now().since(alert.since), at: now, instance: store.instanceName,
            link: consoleURL.map { Self.link(to: alert, in: $0) })
        var pausedHere = false
        if let target = alert.pause {
            do {
                pausedHere = try await store.pause(target, by: "alert:\(alert.rule)")
            } catch {
                logger.error("an alert rule could not pause \(target)", metadata: ["rule": .string(alert.rule), "error": "\(error)"])
            }
        }
        let rule = monitor.settings.rules.first { $0.name == alert.rule }
        var send = pausedHere
        do {
            send = try await store.record(alert: message, repeatEvery: rule?.repeatEvery) || pausedHere
        } catch {
            // Sent twice rather than not at all: without the store, this instance cannot know
            // whether another sent it.
            logger.warning("the alert could not be recorded; it is sent anyway", metadata: ["rule": .string(alert.rule), "error": "\(error)"])
            send = true
        }
        guard send else {
            metrics?.alertSentElsewhere(rule: alert.rule, state: alert.state.rawValue)
            return
        }
        metrics?.alert(rule: alert.rule, state: alert.state.rawValue)
        logger.notice(
            "alert: \(message.summary)",
            metadata: ["rule": .string(alert.rule), "state": .string(alert.state.rawValue), alert.subjectKind: .string(alert.subject)])
        for name in alert.channels {
            channels[name]?.enqueue(message)
        }
    }

    /// The console's page about what `alert` says: the dead letter, or the subject's events.
    static func link(to alert: Alert, in console: String) -> String {
        if let event = alert.figures["event"] { return "\(console)/events/\(percentEncoded(event))" }
        if alert.subjectKind == "source" { return "\(console)/events?source=\(percentEncoded(alert.subject))" }
        return "\(console)/events?target=\(percentEncoded(alert.subject))"
    }

    private static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let safe = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F || byte == 0x2E
            out += safe ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return out
    }

    /// Sends what `queue` holds, in order, each retried with backoff (once shutdown began, one
    /// try each).
    private func deliver(_ queue: ChannelQueue, stopping: StopFlag) async {
        var generator = SystemRandomNumberGenerator()
        for await message in queue.messages {
            queue.taken()
            let first = MonotonicTime.now()
            var attempt = 0
            while true {
                attempt += 1
                switch await delivery.send(message, to: queue.channel) {
                case .success:
                    metrics?.alertDelivery(channel: queue.channel.name, result: "sent")
                case .failure(let failure):
                    let decision = retry.decision(
                        afterAttempt: attempt, firstAttemptAt: first, now: .now(), requestedDelay: failure.retryAfter, using: &generator)
                    if failure.retryable, !stopping.isRaised, case .retry(let delay) = decision {
                        logger.info(
                            "an alert was not delivered; trying again", metadata: ["channel": .string(queue.channel.name), "error": .string(failure.description)])
                        if await HooklineRuntime.sleep(for: delay) { continue }
                    }
                    unsent(message, to: queue.channel, why: "\(failure.description) (\(attempt) attempt\(attempt == 1 ? "" : "s"))")
                }
                break
            }
        }
    }

    private func unsent(_ message: AlertMessage, to channel: AlertChannel, why: String) {
        metrics?.alertDelivery(channel: channel.name, result: "failed")
        logger.error(
            "an alert was not delivered to \(channel.name): \(why)",
            metadata: ["channel": .string(channel.name), "rule": .string(message.alert.rule), "state": .string(message.alert.state.rawValue)])
    }
}

/// One channel's alerts waiting to be sent, in order, read by one task.
final class ChannelQueue: Sendable {
    let channel: AlertChannel
    let messages: AsyncStream<AlertMessage>
    private let continuation: AsyncStream<AlertMessage>.Continuation
    /// Queued and not yet taken: what a shutdown leaves unsent.
    private let waiting = Mutex<[AlertMessage]>([])

    init(channel: AlertChannel) {
        self.channel = channel
        (messages, continuation) = AsyncStream.makeStream(of: AlertMessage.self)
    }

    func enqueue(_ message: AlertMessage) {
        waiting.withLock { $0.append(message) }
        continuation.yield(message)
    }

    func finish() { continuation.finish() }

    /// The reader took the oldest.
    func taken() {
        waiting.withLock { if !$0.isEmpty { $0.removeFirst() } }
    }

    /// What was never taken, to be reported.
    func drain() -> [(message: AlertMessage, channel: AlertChannel)] {
        waiting.withLock { waiting in
            defer { waiting.removeAll() }
            return waiting.map { ($0, channel) }
        }
    }
}

/// Raised once, read from any task.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}
